// Package uap implements ports.UAParser with uap-go, the Go port of the
// ua-parser project's shared regexes.
//
// uap-go tries hundreds of regular expressions per header, so a Parser
// compiles them once, in New, and keeps finished results in a bounded LRU
// cache: browsers send the same few headers over and over. Headers are
// truncated to 512 bytes before parsing and before use as a cache key, so a
// client cannot make parsing or the cache's memory grow with header size.
//
// Parsing never fails. What it cannot read comes back as Type "unknown" and
// Name "Unknown device", and every string it returns is printable text of
// bounded length, because uap copies parts of the client-chosen header into
// its results and Name ends up in emails and session lists.
package uap
