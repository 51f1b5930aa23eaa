package uap

import (
	"fmt"
	"strings"

	lru "github.com/hashicorp/golang-lru"
	"github.com/ua-parser/uap-go/uaparser"

	"authd/core/auth"
)

// maxUserAgent bounds the header bytes parsed and kept as a cache key.
// Real user agents are well under 512 bytes; longer ones are padding or abuse.
const maxUserAgent = 512

// Parser is a ports.UAParser. It is safe for concurrent use.
type Parser struct {
	uap   *uaparser.Parser
	cache *lru.Cache // truncated user agent → auth.Device
}

// New compiles uap-go's embedded regexes, which takes a noticeable fraction
// of a second, so call it once at start. cacheSize bounds how many distinct
// user agents keep their result; it must be positive.
func New(cacheSize int) (*Parser, error) {
	cache, err := lru.New(cacheSize)
	if err != nil {
		return nil, fmt.Errorf("uap: cache of %d entries: %w", cacheSize, err)
	}
	// uap-go keeps caches of its own. Ours holds the finished Device, so
	// theirs would only duplicate it; 1 is the smallest size it accepts.
	p, err := uaparser.New(uaparser.WithCacheSize(1))
	if err != nil {
		return nil, fmt.Errorf("uap: compile regexes: %w", err)
	}
	return &Parser{uap: p, cache: cache}, nil
}

// Parse describes the device that sent userAgent. The rules, in order:
//
//   - Browser is the client program as people know it: uap's platform
//     variants fold into the product ("Mobile Safari" and "Chrome Mobile iOS"
//     become "Safari" and "Chrome"; app web views become "WebView"). When uap
//     knows no client and the header does not start with "Mozilla/", its
//     leading Name/version token names the program, as native apps and HTTP
//     libraries send it ("MyApp/3.2 (iPhone; ...)" → "MyApp").
//   - OS is the platform family without version: "Mac OS X" becomes "macOS",
//     "Chrome OS" becomes "ChromeOS". Browser and OS are "" when unknown.
//   - Type is "bot" for crawlers (uap's Spider device, or a client named
//     like a bot, crawler, spider or headless browser); "tablet" for iPads,
//     Kindles, uap's tablets and Android browsers without the "Mobile" token;
//     "mobile" on phone platforms (iOS, Android, ...); "desktop" on any other
//     known OS; "unknown" when the OS is unknown (curl, okhttp, garbage).
//   - Name is "<client> on <place>". The client is Browser and its major
//     version, with the minor appended when it is not 0 ("Chrome 126",
//     "Safari 17.5", "curl 8.5"). The place is the Apple device for iPhones,
//     iPads and iPods ("Safari 17.5 on iPhone"), else OS, followed for phones
//     and tablets by the model when uap knows its brand ("Chrome 126 on
//     Android (Pixel 8)"). A missing half drops " on " ("curl 8.5",
//     "iPhone"); with neither half Name is "Unknown device". A bot with
//     a known name goes by that name alone ("Googlebot").
//
// iPadOS Safari asks for desktop sites with a macOS header, so it reads as
// "Safari 17.5 on macOS": no header-based parser can tell them apart.
func (p *Parser) Parse(userAgent string) auth.Device {
	if len(userAgent) > maxUserAgent {
		userAgent = userAgent[:maxUserAgent]
	}
	if d, ok := p.cache.Get(userAgent); ok {
		return d.(auth.Device)
	}
	d := describe(userAgent, p.uap.Parse(userAgent))
	// Clone so that the key does not pin the caller's whole header.
	p.cache.Add(strings.Clone(userAgent), d)
	return d
}
