package sanitize

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// allowedAttrs is the whole vocabulary the output may use, per element.
var allowedAttrs = map[string]map[string]bool{
	"p": {}, "br": {}, "strong": {}, "em": {}, "del": {}, "pre": {}, "blockquote": {},
	"ul": {}, "li": {}, "hr": {}, "h3": {}, "h4": {}, "h5": {}, "h6": {},
	"table": {}, "thead": {}, "tbody": {}, "tr": {},
	"ol":   {"start": true},
	"th":   {"align": true},
	"td":   {"align": true},
	"code": {"class": true},
	"a":    {"href": true, "rel": true, "target": true, "title": true},
	"span": {"class": true, "data-mention": true},
}

var onAttr = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)

// checkSafe asserts the safety properties of an output: only allowed
// elements and attributes, links with an allowed scheme and the protective
// rel, no script anywhere, and a second bluemonday pass changes nothing.
func checkSafe(t testing.TB, in, out string) {
	t.Helper()
	lower := strings.ToLower(out)
	if strings.Contains(lower, "<script") {
		t.Fatalf("input %q: output contains <script: %s", in, out)
	}
	if again := testRenderer.policy.Sanitize(out); again != out {
		t.Fatalf("input %q: second sanitising pass changed the output\n first: %s\nsecond: %s", in, out, again)
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		allowed, ok := allowedAttrs[tok.Data]
		if !ok {
			t.Fatalf("input %q: element <%s> in output: %s", in, tok.Data, out)
		}
		for _, a := range tok.Attr {
			if !allowed[a.Key] {
				t.Fatalf("input %q: attribute %s on <%s> in output: %s", in, a.Key, tok.Data, out)
			}
			if onAttr.MatchString(" " + a.Key + "=") {
				t.Fatalf("input %q: event handler %s in output: %s", in, a.Key, out)
			}
		}
		if tok.Data == "a" {
			checkLink(t, in, out, tok)
		}
		if tok.Data == "span" && (attr(tok, "class") != "mention" || attr(tok, "data-mention") == "") &&
			(attr(tok, "class") != "link-host" || len(tok.Attr) != 1) {
			t.Fatalf("input %q: span that is no mention nor link host in output: %s", in, out)
		}
	}
}

func checkLink(t testing.TB, in, out string, tok html.Token) {
	t.Helper()
	href := attr(tok, "href")
	u, err := url.Parse(href)
	if err != nil {
		t.Fatalf("input %q: unparseable href %q in output: %s", in, href, out)
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "mailto":
	default:
		t.Fatalf("input %q: href %q with scheme %q in output: %s", in, href, u.Scheme, out)
	}
	if strings.Contains(strings.ToLower(href), "javascript:") {
		t.Fatalf("input %q: javascript: in href: %s", in, out)
	}
	if rel := attr(tok, "rel"); !strings.Contains(rel, "noopener") || !strings.Contains(rel, "noreferrer") || !strings.Contains(rel, "nofollow") {
		t.Fatalf("input %q: link without protective rel (%q): %s", in, rel, out)
	}
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// xssCorpus gathers classic payloads, in Markdown and raw HTML form.
var xssCorpus = []string{
	`<script>alert(1)</script>`,
	`<SCRIPT SRC=//xss.rocks/.j></SCRIPT>`,
	"<scr<script>ipt>alert(1)</script>",
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)><script>alert(2)</script></svg>`,
	`<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<a href="javascript:alert(1)">x</a>`,
	`<a href="https://ok.fr" onclick="alert(1)">x</a>`,
	`<p style="background:url(javascript:alert(1))">x</p>`,
	`<div style="width: expression(alert(1))">x</div>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<object data="javascript:alert(1)"></object>`,
	`<form action="javascript:alert(1)"><input type=submit></form>`,
	`<body onload=alert(1)>`,
	`<details open ontoggle=alert(1)>`,
	`<span class="mention" data-mention="x" onmouseover="alert(1)">@x</span>`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<base href="javascript:alert(1)//">`,
	`<!--<script>alert(1)//--><script>alert(2)</script>`,
	`<![CDATA[<script>alert(1)</script>]]>`,
	`[x](javascript:alert(1))`,
	`[x](JaVaScRiPt:alert(1))`,
	`[x](javascript&#58;alert(1))`,
	`[x](javascript&colon;alert(1))`,
	`[x](&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1))`,
	`[x](java\script:alert(1))`,
	"[x](java\tscript:alert(1))",
	`[x](<javascript:alert(1)>)`,
	`[x]( javascript:alert(1) )`,
	`[x](vbscript:msgbox(1))`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[x](file:///etc/passwd)`,
	`[x](//evil.example/path)`,
	`[x](https://ok.fr "title\" onmouseover=\"alert(1)")`,
	`[x](https://ok.fr" onmouseover="alert(1))`,
	`[x](https://ok.fr'onmouseover='alert(1))`,
	"[x]: javascript:alert(1)\n\n[x]",
	"[x]: https://ok.fr \"a\\\" onclick=\\\"alert(1)\"\n\n[x]",
	`<javascript:alert(1)>`,
	`<data:text/html,<script>alert(1)</script>>`,
	`![x](javascript:alert(1))`,
	`![x" onerror="alert(1)](https://ok.fr/x.png)`,
	`![x](https://ok.fr/x.png" onerror="alert(1))`,
	`![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
	`[[x](javascript:alert(1))](https://ok.fr)`,
	`[![x](javascript:alert(1))](javascript:alert(2))`,
	`[a[b[c](javascript:alert(1))]]`,
	`[a](https://ok.fr)[b](javascript:alert(1))`,
	"```\"><script>alert(1)</script>\nx\n```",
	"```javascript:alert(1)\nx\n```",
	"`<script>alert(1)</script>`",
	`&lt;script&gt;alert(1)&lt;/script&gt;`,
	`&#60;script&#62;alert(1)&#60;/script&#62;`,
	`\<script\>alert(1)\</script\>`,
	`@"><script>alert(1)</script>`,
	`@x" onmouseover="alert(1)`,
	"@\u202Eevil",
	"https://ok.fr/\"onmouseover=\"alert(1)",
	`www.ok.fr/<script>alert(1)</script>`,
	`javascript:alert(1)`,
	"| <script>alert(1)</script> | b |\n|---|---|\n| [x](javascript:alert(1)) | <img src=x onerror=alert(1)> |",
	"> <script>alert(1)</script>\n> [x](javascript:alert(1))",
	"- [x](javascript:alert(1))\n- <img src=x onerror=alert(1)>",
	"<a href=\"https://ok.fr\">\n\n[x](javascript:alert(1))\n\n</a>",
}

func TestXSSCorpus(t *testing.T) {
	// Text and attribute values come out escaped ("&lt;img"), so these raw
	// strings can only be tags; checkSafe covers attributes and URLs.
	forbidden := []string{"<script", "<img", "<svg", "<iframe", "<object", "<style", "<form", "<input", "<meta", "<base", "<math", "<div", "<body", "<details"}
	for _, in := range xssCorpus {
		out, err := testRenderer.Render(in)
		if err != nil {
			t.Fatalf("Render(%q): %v", in, err)
		}
		checkSafe(t, in, out.HTML)
		for _, f := range forbidden {
			if strings.Contains(strings.ToLower(out.HTML), f) {
				t.Errorf("input %q: output contains %q: %s", in, f, out.HTML)
			}
		}
	}
}

// TestPolicyIsTheGuard feeds hostile HTML straight to the policy, as if
// goldmark had let it through: bluemonday alone must neutralise it.
func TestPolicyIsTheGuard(t *testing.T) {
	p := newPolicy()
	tests := []struct{ in, want string }{
		{`<script>alert(1)</script>ok`, `ok`},
		{`<img src=x onerror=alert(1)>`, ``},
		// A refused href leaves an inert anchor: no href, nothing to follow.
		{`<a href="javascript:alert(1)" rel="nofollow noopener noreferrer" target="_blank">x</a>`, `<a rel="nofollow noopener noreferrer" target="_blank">x</a>`},
		{`<a href="https://ok.fr" onclick="alert(1)">x</a>`, `<a href="https://ok.fr" rel="nofollow noreferrer noopener" target="_blank">x</a>`},
		{`<a href="mailto:a@b.fr" rel="opener" target="_self">x</a>`, `<a href="mailto:a@b.fr" rel="nofollow noreferrer">x</a>`},
		{`<a href="/relative">x</a>`, `x`},
		{`<a href="data:text/html,x">x</a>`, `x`},
		{`<p style="color:red" class="x" id="y">t</p>`, `<p>t</p>`},
		{`<span class="mention" data-mention="claire">@claire</span>`, `<span class="mention" data-mention="claire">@claire</span>`},
		// bluemonday keeps a bare <span> (its default list); it is inert.
		{`<span class="mention evil" data-mention="x&quot; onclick=&quot;y" style="x">@x</span>`, `<span>@x</span>`},
		{`<span onmouseover="alert(1)">x</span>`, `<span>x</span>`},
		{`<code class="language-go" onclick="x">c</code>`, `<code class="language-go">c</code>`},
		{`<code class="hljs">c</code>`, `<code>c</code>`},
		{`<ol start="3" type="i"><li>a</li></ol>`, `<ol start="3"><li>a</li></ol>`},
		{`<td align="left" bgcolor="red">a</td>`, `<td align="left">a</td>`},
		{`<h1>a</h1><h2>b</h2><h3>c</h3>`, `ab<h3>c</h3>`},
		{`<svg><g onload="alert(1)"></g></svg>`, ``},
		{`<iframe src="https://x"></iframe>x`, `x`},
	}
	for _, tt := range tests {
		if got := p.Sanitize(tt.in); got != tt.want {
			t.Errorf("Sanitize(%q)\n got: %s\nwant: %s", tt.in, got, tt.want)
		}
	}
}
