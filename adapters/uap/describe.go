package uap

import (
	"regexp"

	"github.com/ua-parser/uap-go/uaparser"

	"authd/core/auth"
)

// Device types, as auth.Device documents them.
const (
	typeDesktop = "desktop"
	typeMobile  = "mobile"
	typeTablet  = "tablet"
	typeBot     = "bot"
	typeUnknown = "unknown"
)

// clientNames folds uap's platform variants into the product people know.
// "Other" and "Android" (Dalvik's default header) mean uap found no client.
var clientNames = map[string]string{
	"Mobile Safari":              "Safari",
	"Chrome Mobile":              "Chrome",
	"Chrome Mobile iOS":          "Chrome",
	"Firefox Mobile":             "Firefox",
	"Firefox iOS":                "Firefox",
	"Edge Mobile":                "Edge",
	"Opera Mobile":               "Opera",
	"Chrome Mobile WebView":      "WebView",
	"Mobile Safari UI/WKWebView": "WebView",
	"Other":                      "",
	"Android":                    "",
}

// osNames renames the OS families whose uap name is not today's.
var osNames = map[string]string{
	"Mac OS X":  "macOS",
	"Chrome OS": "ChromeOS",
	"Other":     "",
}

// mobileOSes are the phone platforms; their tablets are told apart by device.
var mobileOSes = map[string]bool{
	"iOS": true, "Android": true, "Windows Phone": true, "KaiOS": true, "BlackBerry OS": true,
}

// appleHandhelds name the place better than "iOS" does.
var appleHandhelds = map[string]bool{"iPhone": true, "iPad": true, "iPod": true}

// productToken matches the leading "Name/1.2" of native apps and libraries.
// It is strict because whatever it captures is shown to people.
var productToken = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9._-]{0,31})/(\d{1,6})(?:\.(\d{1,6}))?`)

// describe applies Parse's rules to uap's reading c of the header ua.
func describe(ua string, c *uaparser.Client) auth.Device {
	client, version := clientOf(ua, c.UserAgent)
	d := auth.Device{
		Browser: client,
		OS:      clean(osName(c.Os.Family)),
	}
	d.Type = typeOf(ua, d, c)
	d.Name = nameOf(d, version, placeOf(d, c.Device))
	return d
}

// clientOf returns the client program and its displayed version.
func clientOf(ua string, u *uaparser.UserAgent) (name, version string) {
	name, renamed := clientNames[u.Family]
	if !renamed {
		name = u.Family
	}
	if name == "" || name == "WebView" {
		if m := productToken.FindStringSubmatch(ua); m != nil && m[1] != "Mozilla" {
			return m[1], versionOf(m[2], m[3])
		}
	}
	return clean(name), versionOf(clean(u.Major), clean(u.Minor))
}

// versionOf shows the minor version only when it says something.
func versionOf(major, minor string) string {
	if major == "" || minor == "" || minor == "0" {
		return major
	}
	return major + "." + minor
}

func osName(family string) string {
	if name, ok := osNames[family]; ok {
		return name
	}
	return family
}
