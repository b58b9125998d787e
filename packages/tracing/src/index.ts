import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';

export { SpanKind, type Span } from '@opentelemetry/api';

/**
 * Tracing with OpenTelemetry: spans for every REST request, gRPC call, SQL
 * query and Redis command, exported over OTLP/HTTP when the process has an
 * endpoint (OTEL_EXPORTER_OTLP_ENDPOINT). The span a server opens for a
 * request is the W3C traceparent it passes on, so spans link into one trace
 * per request across processes. Without an endpoint nothing is recorded and
 * every helper here costs one boolean check.
 */
let provider: BasicTracerProvider | undefined;
const tracer = () => trace.getTracer('tessera');

export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/**
 * Starts exporting this process's spans (once per process; a monolith's parts
 * share it). `sampleRatio` is the share of new traces recorded (at the edge,
 * where traces start); a call continues its caller's decision, so a trace is
 * recorded whole or not at all.
 */
export function startTracing(options: { serviceName: string; endpoint: string | undefined; sampleRatio?: number; scheduledDelayMs?: number }): void {
  if (!options.endpoint || provider) return;
  provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/$/, '')}/v1/traces` }), { scheduledDelayMillis: options.scheduledDelayMs ?? 1_000 })],
  });
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

/** Sends what is buffered and stops (on shutdown, after the last request). */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  if (!stopping) return;
  await stopping.shutdown().catch(() => undefined);
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context of a remote parent named by a W3C traceparent (a new trace when there is none or it is malformed). */
function parentOf(traceparent: unknown): Context {
  const match = typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true });
}

export interface ServerSpan {
  span: Span;
  /** The traceparent for work done on behalf of this request: this span as the parent. */
  traceparent: string;
  traceId: string;
  /** Runs `fn` with this span as the active one, so queries and commands made in it become its children. */
  run<T>(fn: () => T): T;
}

/** The span a server opens for a request it received (REST or gRPC), continuing the caller's trace. */
export function startServerSpan(name: string, incomingTraceparent: unknown, attributes: Attributes): ServerSpan | undefined {
  if (!provider) return undefined;
  const span = tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parentOf(incomingTraceparent));
  const { traceId, spanId, traceFlags } = span.spanContext();
  const active = trace.setSpan(ROOT_CONTEXT, span);
  return { span, traceparent: `00-${traceId}-${spanId}-0${traceFlags & TraceFlags.SAMPLED}`, traceId, run: (fn) => context.with(active, fn) };
}

/** Ends a server span with the outcome: an error status for failures (`failed`), attributes for the rest. */
export function endSpan(span: Span | undefined, attributes: Attributes, failed: boolean, message?: string): void {
  if (!span) return;
  span.setAttributes(attributes);
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
  span.end();
}

/**
 * A client span around one unit of work (a SQL query, a Redis command) as a
 * child of the active span. Without tracing, or outside any traced request,
 * `work` runs as it is.
 */
export function traced<T>(name: string, attributes: Attributes, work: () => Promise<T>): Promise<T> {
  // Not async: with tracing off the work's own promise is returned as it is, no wrapper.
  if (!provider) return work();
  const parent = context.active();
  return trace.getSpan(parent) === undefined ? work() : inSpan(name, attributes, parent, work);
}

async function inSpan<T>(name: string, attributes: Attributes, parent: Context, work: () => Promise<T>): Promise<T> {
  const span = tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
  try {
    return await work();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
