package sanitize

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

var mentionToken = regexp.MustCompile(`^[\p{L}\p{N}._-]+$`)

// FuzzSanitize checks properties, not outputs: whatever the input, the HTML
// holds only the allowed vocabulary (no <script, no on* attribute, no
// javascript: or other foreign href), a second bluemonday pass changes
// nothing, and Text and Mentions keep their contracts. Seeds live in
// testdata/fuzz/FuzzSanitize.
func FuzzSanitize(f *testing.F) {
	for _, s := range xssCorpus {
		f.Add(s)
	}
	f.Add(benchMessage)
	f.Add("[https://ameli.fr](https://ameli.fr@\u0430meli.fr/x) [a@b.fr](mailto:c@d.fr?x) ![www.x.fr](http://y.fr)")
	f.Fuzz(func(t *testing.T, in string) {
		out, err := testRenderer.Render(in)
		if len(in) > MaxInputBytes {
			if err == nil {
				t.Fatalf("no error for %d bytes", len(in))
			}
			return
		}
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		checkSafe(t, in, out.HTML)

		if !utf8.ValidString(out.HTML) || !utf8.ValidString(out.Text) {
			t.Fatalf("input %q: invalid UTF-8 in output", in)
		}
		if out.Text != strings.Join(strings.Fields(out.Text), " ") {
			t.Fatalf("input %q: Text not collapsed: %q", in, out.Text)
		}
		seen := map[string]bool{}
		for _, m := range out.Mentions {
			if !mentionToken.MatchString(m) || m != strings.ToLower(m) || seen[m] {
				t.Fatalf("input %q: bad mention %q in %q", in, m, out.Mentions)
			}
			seen[m] = true
			if !strings.Contains(out.HTML, `data-mention="`+m+`"`) {
				t.Fatalf("input %q: mention %q not wrapped in HTML: %s", in, m, out.HTML)
			}
			if !strings.Contains(strings.ToLower(out.Text), "@"+m) {
				t.Fatalf("input %q: mention %q not in Text %q", in, m, out.Text)
			}
		}
	})
}
