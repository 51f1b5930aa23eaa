package memory

import "authd/core/auth"

// UAParser is a ports.UAParser that names the device after the raw string,
// for tests that care where a user agent goes, not how it parses.
type UAParser struct{}

// Parse implements ports.UAParser.
func (UAParser) Parse(ua string) auth.Device {
	if ua == "" {
		return auth.Device{Name: "Unknown device", Type: "unknown"}
	}
	return auth.Device{Name: ua, Type: "desktop"}
}
