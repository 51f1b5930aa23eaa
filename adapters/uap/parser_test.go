package uap_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"authd/adapters/uap"
	"authd/core/auth"
)

// realAgents are headers sent by real clients, with what Parse makes of them.
var realAgents = []struct {
	name string
	ua   string
	want auth.Device
}{
	{"chrome on windows is desktop", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		auth.Device{Name: "Chrome 126 on Windows", Browser: "Chrome", OS: "Windows", Type: "desktop"}},
	{"chrome on mac reads macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		auth.Device{Name: "Chrome 126 on macOS", Browser: "Chrome", OS: "macOS", Type: "desktop"}},
	{"chrome on linux is desktop", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		auth.Device{Name: "Chrome 126 on Linux", Browser: "Chrome", OS: "Linux", Type: "desktop"}},
	{"chrome on chromebook reads ChromeOS", "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
		auth.Device{Name: "Chrome 126 on ChromeOS", Browser: "Chrome", OS: "ChromeOS", Type: "desktop"}},
	{"firefox on windows drops minor 0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
		auth.Device{Name: "Firefox 128 on Windows", Browser: "Firefox", OS: "Windows", Type: "desktop"}},
	{"firefox on mac reads macOS", "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0",
		auth.Device{Name: "Firefox 127 on macOS", Browser: "Firefox", OS: "macOS", Type: "desktop"}},
	{"firefox on ubuntu names the distribution", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
		auth.Device{Name: "Firefox 128 on Ubuntu", Browser: "Firefox", OS: "Ubuntu", Type: "desktop"}},
	{"safari on mac keeps minor", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
		auth.Device{Name: "Safari 17.5 on macOS", Browser: "Safari", OS: "macOS", Type: "desktop"}},
	{"edge on windows is not chrome", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
		auth.Device{Name: "Edge 126 on Windows", Browser: "Edge", OS: "Windows", Type: "desktop"}},
	{"edge on mac is not chrome", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
		auth.Device{Name: "Edge 126 on macOS", Browser: "Edge", OS: "macOS", Type: "desktop"}},
	{"iphone safari names the iPhone", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		auth.Device{Name: "Safari 17.5 on iPhone", Browser: "Safari", OS: "iOS", Type: "mobile"}},
	{"ipad safari is tablet", "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
		auth.Device{Name: "Safari 17.5 on iPad", Browser: "Safari", OS: "iOS", Type: "tablet"}},
	{"chrome on iphone folds to Chrome", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
		auth.Device{Name: "Chrome 126 on iPhone", Browser: "Chrome", OS: "iOS", Type: "mobile"}},
	{"android phone with frozen model hides it", "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
		auth.Device{Name: "Chrome 126 on Android", Browser: "Chrome", OS: "Android", Type: "mobile"}},
	{"android phone names its model", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Mobile Safari/537.36",
		auth.Device{Name: "Chrome 126 on Android (Pixel 8)", Browser: "Chrome", OS: "Android", Type: "mobile"}},
	{"android without Mobile is tablet", "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.122 Safari/537.36",
		auth.Device{Name: "Chrome 126 on Android", Browser: "Chrome", OS: "Android", Type: "tablet"}},
	{"samsung internet names the phone", "Mozilla/5.0 (Linux; Android 14; SM-S928B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
		auth.Device{Name: "Samsung Internet 25 on Android (Samsung SM-S928B)", Browser: "Samsung Internet", OS: "Android", Type: "mobile"}},
	{"firefox on android is mobile", "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0",
		auth.Device{Name: "Firefox 128 on Android", Browser: "Firefox", OS: "Android", Type: "mobile"}},
	{"kindle is tablet", "Mozilla/5.0 (Linux; Android 11; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/126.4.1 like Chrome/126.0.6478.126 Safari/537.36",
		auth.Device{Name: "Amazon Silk 126.4 on Android (Kindle)", Browser: "Amazon Silk", OS: "Android", Type: "tablet"}},
	{"android web view reads WebView", "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/AP2A.240605.024; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/126.0.6478.71 Mobile Safari/537.36",
		auth.Device{Name: "WebView 126 on Android (Pixel 8)", Browser: "WebView", OS: "Android", Type: "mobile"}},
	{"native ios app names itself", "MyApp/3.2 (iPhone; iOS 17.5; Scale/3.00)",
		auth.Device{Name: "MyApp 3.2 on iPhone", Browser: "MyApp", OS: "iOS", Type: "mobile"}},
	{"cfnetwork app reads iOS", "MyApp/3.2.1 CFNetwork/1494.0.7 Darwin/23.4.0",
		auth.Device{Name: "MyApp 3.2 on iOS", Browser: "MyApp", OS: "iOS", Type: "mobile"}},
	{"dalvik app names the phone", "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP2A.240605.024)",
		auth.Device{Name: "Dalvik 2.1 on Android (Pixel 8)", Browser: "Dalvik", OS: "Android", Type: "mobile"}},
	{"okhttp has no platform", "okhttp/4.12.0",
		auth.Device{Name: "okhttp 4.12", Browser: "okhttp", Type: "unknown"}},
	{"curl has no platform", "curl/8.5.0",
		auth.Device{Name: "curl 8.5", Browser: "curl", Type: "unknown"}},
	{"python requests reads its product name", "python-requests/2.32.3",
		auth.Device{Name: "Python Requests 2.32", Browser: "Python Requests", Type: "unknown"}},
	{"googlebot is a bot named alone", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		auth.Device{Name: "Googlebot", Browser: "Googlebot", Type: "bot"}},
	{"googlebot smartphone is still a bot", "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		auth.Device{Name: "Googlebot", Browser: "Googlebot", OS: "Android", Type: "bot"}},
	{"bingbot is a bot", "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
		auth.Device{Name: "bingbot", Browser: "bingbot", Type: "bot"}},
	{"headless chrome is a bot", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
		auth.Device{Name: "HeadlessChrome", Browser: "HeadlessChrome", OS: "Linux", Type: "bot"}},
	{"markup is unknown, never echoed", "<script>alert(1)</script>/1.0",
		auth.Device{Name: "Unknown device", Type: "unknown"}},
	{"empty is unknown", "",
		auth.Device{Name: "Unknown device", Type: "unknown"}},
	{"random bytes are unknown", garbage(10 << 10),
		auth.Device{Name: "Unknown device", Type: "unknown"}},
	{"padding past 512 bytes is ignored", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 " + strings.Repeat("x", 10<<10),
		auth.Device{Name: "Chrome 126 on Windows", Browser: "Chrome", OS: "Windows", Type: "desktop"}},
}

// garbage returns n random bytes, the same ones on every run.
func garbage(n int) string {
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

func setup(t testing.TB, cacheSize int) *uap.Parser {
	t.Helper()
	p, err := uap.New(cacheSize)
	if err != nil {
		t.Fatalf("New(%d): %v", cacheSize, err)
	}
	return p
}

func TestParse(t *testing.T) {
	t.Parallel()
	p := setup(t, 128)
	for _, tc := range realAgents {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := p.Parse(tc.ua); got != tc.want {
				t.Fatalf("Parse(%.80q)\n got %#v\nwant %#v", tc.ua, got, tc.want)
			}
		})
	}
}

func TestNewRejectsNonPositiveCacheSize(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, -1} {
		if _, err := uap.New(size); err == nil {
			t.Fatalf("New(%d) succeeded, want an error", size)
		}
	}
}
