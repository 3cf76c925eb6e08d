// OpenTelemetry for everything: a span per API request and per store operation. Off by default
// (the API's no-op tracer costs nearly nothing); an exporter is chosen by config.
import { trace, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import { BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

export interface TelemetryConfig {
  /** none (default), console, otlp (OTLP over HTTP to `endpoint`), or an exporter object (embedding, tests) */
  exporter?: 'none' | 'console' | 'otlp' | SpanExporter;
  endpoint?: string;
  serviceName?: string;
}

export interface Telemetry {
  shutdown(): Promise<void>;
}

// With no exporter, spans are skipped outright: the hot paths then pay nothing for tracing.
let enabled = false;

export async function setupTelemetry(cfg: TelemetryConfig = {}): Promise<Telemetry> {
  const kind = cfg.exporter ?? 'none';
  if (kind === 'none') return { shutdown: async () => {} };
  enabled = true;
  let exporter: SpanExporter;
  if (typeof kind === 'object') exporter = kind;
  else if (kind === 'console') exporter = new ConsoleSpanExporter();
  else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    exporter = new OTLPTraceExporter(cfg.endpoint ? { url: cfg.endpoint } : {});
  }
  // NodeTracerProvider registers AsyncLocalStorage context propagation: store spans nest under the request span
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: cfg.serviceName ?? 'skiff' }),
    spanProcessors: [typeof kind === 'object' ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return {
    shutdown: async () => {
      enabled = false;
      await provider.shutdown();
    },
  };
}

export function tracer(name = 'skiff'): Tracer {
  return trace.getTracer(name);
}

/** Run `fn` inside a span (when telemetry is on); errors mark the span and are rethrown. */
export async function inSpan<T>(t: Tracer, name: string, attrs: Record<string, string | number | boolean> | (() => Record<string, string | number | boolean>), fn: (span?: Span) => Promise<T>): Promise<T> {
  if (!enabled) return fn();
  return t.startActiveSpan(name, { attributes: typeof attrs === 'function' ? attrs() : attrs }, async (span) => {
    try {
      return await fn(span);
    } catch (e) {
      span.recordException(e as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error).message });
      throw e;
    } finally {
      span.end();
    }
  });
}
