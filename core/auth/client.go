package auth

import "context"

type clientKey struct{}

// WithClient returns ctx carrying the client a request comes from. The HTTP
// adapter sets it on every request, so that what the core records about a
// request (security events) says where it came from without every use case
// taking a Client it would only pass along.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the client WithClient put in ctx; ok is false when
// there is none (a job, a test).
func ClientFrom(ctx context.Context) (c Client, ok bool) {
	c, ok = ctx.Value(clientKey{}).(Client)
	return c, ok
}
