import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  type AttributeValue,
  type Context,
  type ContextManager,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';

/** A span that records what was done to it, for assertions. */
export class RecordingSpan implements Span {
  readonly attributes: Record<string, AttributeValue | undefined> = {};
  status: SpanStatus = { code: 0 };
  ended = false;

  constructor(
    public name: string,
    readonly kind: SpanKind | undefined,
    readonly context: SpanContext,
    readonly parent: SpanContext | undefined,
  ) {}

  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    Object.assign(this.attributes, attributes);
    return this;
  }
  addEvent(): this {
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(): void {}
}

/** A tracer provider keeping every span it starts (no SDK package is installed). */
export class RecordingTracerProvider implements TracerProvider {
  readonly spans: RecordingSpan[] = [];

  getTracer(): Tracer {
    const spans = this.spans;
    return {
      startSpan(name: string, options: SpanOptions = {}, context: Context = ROOT_CONTEXT): Span {
        const parent = trace.getSpanContext(context);
        const span = new RecordingSpan(
          name,
          options.kind,
          {
            traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
            spanId: randomBytes(8).toString('hex'),
            traceFlags: 1,
          },
          parent,
        );
        if (options.attributes) span.setAttributes(options.attributes);
        spans.push(span);
        return span;
      },
      startActiveSpan(): never {
        throw new Error('not used by express-m8');
      },
    };
  }
}

/** A context manager on AsyncLocalStorage, as the Node SDK registers. */
export class AlsContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(context, () => fn.call(thisArg, ...args));
  }
  bind<T>(_context: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}
