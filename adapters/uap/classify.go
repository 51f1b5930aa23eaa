package uap

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ua-parser/uap-go/uaparser"

	"authd/core/auth"
)

// maxField bounds each string Parse returns; device models are far shorter.
const maxField = 64

// typeOf applies the Type rule of Parse.
func typeOf(ua string, d auth.Device, c *uaparser.Client) string {
	dev := c.Device
	switch {
	case dev.Family == "Spider" || isBot(d.Browser):
		return typeBot
	case dev.Family == "iPad" || dev.Family == "Kindle" || strings.Contains(dev.Brand, "Tablet") || dev.Model == "Tablet":
		return typeTablet
	// Android browsers say "Mobile" on phones only; apps say nothing.
	case d.OS == "Android" && strings.HasPrefix(ua, "Mozilla/") && !strings.Contains(ua, "Mobile"):
		return typeTablet
	case mobileOSes[d.OS] || dev.Family == "Generic Smartphone":
		return typeMobile
	case d.OS != "":
		return typeDesktop
	}
	return typeUnknown
}

func isBot(client string) bool {
	lower := strings.ToLower(client)
	for _, word := range []string{"bot", "crawler", "spider", "headless"} {
		if strings.Contains(lower, word) {
			return true
		}
	}
	return false
}

// placeOf applies the place rule of Parse.
func placeOf(d auth.Device, dev *uaparser.Device) string {
	if dev.Brand == "Apple" && appleHandhelds[dev.Family] {
		return dev.Family
	}
	// Generic brands carry placeholder models, such as Chrome's frozen "K".
	named := dev.Brand != "" && dev.Brand != "Apple" && dev.Brand != "Spider" &&
		!strings.HasPrefix(dev.Brand, "Generic")
	if d.OS != "" && named && (d.Type == typeMobile || d.Type == typeTablet) {
		return d.OS + " (" + clean(dev.Family) + ")"
	}
	return d.OS
}

// nameOf applies the Name rule of Parse.
func nameOf(d auth.Device, version, place string) string {
	client := d.Browser
	if d.Type == typeBot && client != "" {
		return client
	}
	if client != "" && version != "" {
		client += " " + version
	}
	switch {
	case client != "" && place != "":
		return client + " on " + place
	case client != "":
		return client
	case place != "":
		return place
	}
	return "Unknown device"
}

// clean keeps s printable and short: uap copies parts of the header, which
// the client chose, into its results.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > maxField {
		cut := maxField
		for !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.TrimSpace(s)
}
