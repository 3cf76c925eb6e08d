// storage.k8s.io/v1: StorageClass, CSIDriver, CSINode, VolumeAttachment, CSIStorageCapacity.
import type { LabelSelector, KObject } from './meta.ts';

export interface TopologySelectorTerm {
  matchLabelExpressions?: { key: string; values: string[] }[];
}

/** Cluster-scoped; its fields sit at the top level (no spec). */
export interface StorageClass extends KObject {
  provisioner: string;
  parameters?: Record<string, string>;
  reclaimPolicy?: 'Delete' | 'Retain';
  mountOptions?: string[];
  allowVolumeExpansion?: boolean;
  volumeBindingMode?: 'Immediate' | 'WaitForFirstConsumer';
  allowedTopologies?: TopologySelectorTerm[];
}

export interface CSIDriver extends KObject {
  spec?: {
    attachRequired?: boolean;
    podInfoOnMount?: boolean;
    volumeLifecycleModes?: ('Persistent' | 'Ephemeral')[];
    storageCapacity?: boolean;
    fsGroupPolicy?: 'ReadWriteOnceWithFSType' | 'File' | 'None';
    tokenRequests?: { audience: string; expirationSeconds?: number }[];
    requiresRepublish?: boolean;
    seLinuxMount?: boolean;
  };
}

export interface CSINodeDriver {
  name: string;
  nodeID: string;
  topologyKeys?: string[];
  allocatable?: { count?: number };
}

export interface CSINode extends KObject {
  spec?: { drivers?: CSINodeDriver[] };
}

export interface VolumeAttachment extends KObject {
  spec?: { attacher: string; nodeName: string; source: { persistentVolumeName?: string; inlineVolumeSpec?: unknown } };
  status?: {
    attached?: boolean;
    attachmentMetadata?: Record<string, string>;
    attachError?: { time?: string; message?: string; errorCode?: number };
    detachError?: { time?: string; message?: string; errorCode?: number };
  };
}

/** Namespaced; its fields sit at the top level. */
export interface CSIStorageCapacity extends KObject {
  storageClassName: string;
  nodeTopology?: LabelSelector;
  capacity?: string | number;
  maximumVolumeSize?: string | number;
}
