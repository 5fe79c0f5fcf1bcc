package sanitize

import (
	"strings"
	"testing"
)

// TestLinkHost: a link whose text names an address is followed by the host
// it really leads to when that host differs.
func TestLinkHost(t *testing.T) {
	const rel = ` rel="nofollow noopener noreferrer" target="_blank"`
	span := func(h string) string { return ` <span class="link-host">(` + h + `)</span>` }
	tests := []struct {
		name, in string
		host     string // "" when no host is shown
	}{
		{"url text, other host", "[https://ameli.fr](https://evil.example/x)", "evil.example"},
		{"domain text, other host", "[ameli.fr](http://evil.example/x)", "evil.example"},
		{"www domain text", "[www.ameli.fr/connexion](https://evil.example)", "evil.example"},
		{"address in a sentence", "[Connectez-vous sur ameli.fr ici](https://evil.example)", "evil.example"},
		{"userinfo trick", "[https://ameli.fr](https://ameli.fr@evil.example/)", "evil.example"},
		{"look-alike suffix", "[ameli.fr](https://ameli.fr.evil.example/)", "ameli.fr.evil.example"},
		{"upper-case real host", "[ameli.fr](https://EVIL.example)", "evil.example"},
		{"port ignored, host shown", "[ameli.fr](https://evil.example:8443/x)", "evil.example"},
		{"ip address", "[http://192.168.1.10](http://10.0.0.1/)", "10.0.0.1"},
		{"cyrillic real host", "[ameli.fr](https://\u0430meli.fr/)", "xn--meli-43d.fr"},
		{"cyrillic text and host", "[\u0430meli.fr](https://\u0430meli.fr/)", "xn--meli-43d.fr"},
		{"cyrillic angle autolink", "voir <https://\u0430meli.fr/x>", "xn--meli-43d.fr"},
		{"cyrillic bare url, not linked", "voir https://\u0430meli.fr/x", ""},
		{"mailto, other domain", "[contact@ameli.fr](mailto:phish@evil.example)", "phish@evil.example"},
		{"image alt", "![https://ameli.fr](https://evil.example/a.png)", "evil.example"},
		{"emphasis in text", "[**ameli**.fr](https://evil.example)", "evil.example"},

		{"same host", "[https://ameli.fr](https://ameli.fr/x)", ""},
		{"same host, case", "[AMELI.FR](https://ameli.fr)", ""},
		{"www on one side", "[ameli.fr](https://www.ameli.fr/x)", ""},
		{"www on the other side", "[www.ameli.fr](https://ameli.fr)", ""},
		{"plain words", "[HAS](https://evil.example)", ""},
		{"number", "[version 3.5](https://evil.example)", ""},
		{"autolink", "voir https://ameli.fr/medecin", ""},
		{"www autolink", "voir www.ameli.fr", ""},
		{"email autolink", "écrire à claire.morel@chu-tours.fr", ""},
		{"mailto, same domain", "[contact@ameli.fr](mailto:accueil@ameli.fr)", ""},
		{"mailto, words", "[écrire](mailto:coordination@cpts.fr)", ""},
		{"unwrapped link", "[ameli.fr](javascript:alert(1))", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := render(t, tt.in)
			if tt.host == "" {
				if strings.Contains(out.HTML, "link-host") {
					t.Fatalf("no host expected: %s", out.HTML)
				}
				return
			}
			if !strings.Contains(out.HTML, `</a>`+span(tt.host)) {
				t.Fatalf("want %q right after the link: %s", span(tt.host), out.HTML)
			}
			if !strings.Contains(out.Text, "("+tt.host+")") {
				t.Fatalf("the plain text lacks the host: %q", out.Text)
			}
		})
	}
	// The whole shape, once.
	got := render(t, "[https://ameli.fr](https://evil.example/x)").HTML
	want := `<p><a href="https://evil.example/x"` + rel + `>https://ameli.fr</a>` + span("evil.example") + `</p>`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
