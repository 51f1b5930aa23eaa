// Package clientip decides which IP address a request comes from.
//
// The peer address of the connection is the only one a client cannot forge.
// X-Forwarded-For is believed only as far as trusted proxies vouch for it:
// each proxy appends the address it received the request from, so reading
// the header from the right, every entry up to and including the first
// untrusted one was written by a trusted proxy. Entries further left were
// written by the client itself and are never used. With no trusted proxies
// configured, the header is ignored.
package clientip
