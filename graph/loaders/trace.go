package loaders

import (
	"context"

	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// batchTracer gives each loader batch a span, naming the resource and the
// number of ids. It is ours rather than dataloader's trace/otel, which also
// opens a span for every single Load (hundreds per query) and records the
// ids themselves.
type batchTracer[K comparable, V any] struct {
	dataloader.NoopTracer[K, V]
	tracer   trace.Tracer
	resource string
}

func (t batchTracer[K, V]) TraceBatch(ctx context.Context, keys []K) (context.Context, dataloader.TraceBatchFinishFunc[V]) {
	ctx, span := t.tracer.Start(ctx, "loader batch "+t.resource, trace.WithAttributes(
		attribute.String("loader.resource", t.resource), attribute.Int("loader.batch_size", len(keys))))
	return ctx, func([]*dataloader.Result[V]) { span.End() }
}

// collectionSpan covers the fetch of a whole collection, prefetched by the
// query plan or asked for by a batch; without a tracer it does nothing.
func collectionSpan(ctx context.Context, tracer trace.Tracer, resource string) (context.Context, func()) {
	if tracer == nil {
		return ctx, func() {}
	}
	ctx, span := tracer.Start(ctx, "collection "+resource, trace.WithAttributes(attribute.String("loader.resource", resource)))
	return ctx, func() { span.End() }
}

// tracerOption is the dataloader option that traces batches, or none.
func tracerOption[K comparable, V any](tracer trace.Tracer, resource string) []dataloader.Option[K, V] {
	if tracer == nil {
		return nil
	}
	return []dataloader.Option[K, V]{dataloader.WithTracer[K, V](batchTracer[K, V]{tracer: tracer, resource: resource})}
}
