// What an image recipe is: it stages root filesystem directories and says how to name and run the
// image; build.ts turns that into a tarball (and skips the work when nothing changed).
import type { ImageConfig } from './oci-image.ts';

export interface BuiltImage {
  name: string;
  /** The image tarball (`ctr images import` / `docker load`). */
  tar: string;
  refs: string[];
  manifestDigest: string;
  configDigest: string;
  layers: { digest: string; diffId: string; size: number; mediaType: string }[];
  /** Bytes of the tarball. */
  size: number;
  /** The cache key of the tarball: a digest of the staged root filesystems, refs and config. */
  key: string;
  /** The cheap cache key: a digest of the recipe's input paths (by stat), sources and parameters. */
  inputsKey: string;
  /** False when the tarball of an earlier build was kept. */
  built: boolean;
}

export interface RecipeParams {
  /** The pause image's main ref (default `skiff.local/pause:3.9`). */
  pauseRef: string;
  /** More refs for the pause image, e.g. the CRI default `registry.k8s.io/pause:3.6`. */
  pauseExtraRefs: string[];
  /** Directory holding skiff.mjs (the `npm run build` output) to bake into the node image; null: none. */
  bundleDir: string | null;
}

export interface BuildContext {
  /** A fresh scratch directory for this recipe, removed after the build. */
  work: string;
  /** A persistent cache directory shared by recipes (downloads, compiled programs). */
  cacheDir: string;
  params: RecipeParams;
  /** Images this recipe `needs`, already built. */
  built: Record<string, BuiltImage>;
  log(msg: string): void;
}

export interface ImageSpec {
  refs: string[];
  /** Root filesystem directories, one per layer, bottom first (usually under ctx.work). */
  layers: string[];
  config: ImageConfig;
  compression?: 'gzip' | 'none';
}

export interface Recipe {
  name: string;
  description: string;
  /** Recipes whose images this one bakes in. */
  needs?: string[];
  /**
   * Every host path `prepare` reads (files, or directories walked), for the cheap cache check:
   * when none changed (by stat) since the last build, and the recipe sources and parameters are the
   * same, `prepare` is not even run. Debian packages' files are covered by /var/lib/dpkg/status.
   */
  inputs(ctx: Pick<BuildContext, 'params' | 'built'>): string[];
  /** Inputs compared by content instead (small, often rewritten unchanged, like the Skiff bundle). */
  contentInputs?(ctx: Pick<BuildContext, 'params' | 'built'>): string[];
  prepare(ctx: BuildContext): Promise<ImageSpec>;
}

/** Changes with every apt install, upgrade or removal. */
export const DPKG_STATUS = '/var/lib/dpkg/status';
/** Changes with every apt-get update (which can change a download's candidate version). */
export const APT_LISTS = '/var/lib/apt/lists';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
