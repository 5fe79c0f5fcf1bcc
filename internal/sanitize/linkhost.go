package sanitize

import (
	"net/url"
	"strings"
	"unicode"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/idna"
)

// A link whose text reads as an address ("[https://ameli.fr](https://evil.example)",
// "[ameli.fr](…)", "[contact@ameli.fr](mailto:…)") but leads to another
// host is followed by that host, as the browser will reach it:
// <span class="link-host">(evil.example)</span>. Hosts are shown in ASCII,
// an internationalised one as punycode, so "аmeli.fr" with a Cyrillic "а"
// shows as "xn--meli-8ve.fr"; for the same reason a text naming a
// non-ASCII host is always followed by the real one. "www." is ignored on
// both sides. Text that names no address ("HAS", "le site") is left alone.

var kindLinkHost = ast.NewNodeKind("LinkHost")

// linkHostNode is the real destination of the link just before it.
type linkHostNode struct {
	ast.BaseInline
	host string // ASCII host, or address of a mailto link
}

func (n *linkHostNode) Kind() ast.NodeKind { return kindLinkHost }

func (n *linkHostNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Host": n.host}, nil)
}

type linkHostRenderer struct{}

func (linkHostRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindLinkHost, renderLinkHost)
}

func renderLinkHost(w util.BufWriter, _ []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if entering {
		_, _ = w.WriteString(` <span class="link-host">(`)
		_, _ = w.Write(util.EscapeHTML([]byte(node.(*linkHostNode).host)))
		_, _ = w.WriteString(`)</span>`)
	}
	return ast.WalkSkipChildren, nil
}

// revealHost puts a linkHostNode after link when its text names a host
// other than where dest leads. dest is an allowed destination (allowedURL).
func revealHost(link ast.Node, dest []byte, source []byte) {
	parent := link.Parent()
	if parent == nil {
		return
	}
	host, shown := destination(dest)
	if host == "" {
		return
	}
	for _, named := range textHosts(linkText(link, source)) {
		if strings.TrimPrefix(named, "www.") != strings.TrimPrefix(host, "www.") {
			parent.InsertAfter(parent, link, &linkHostNode{host: shown})
			return
		}
	}
}

// browserIDNA maps a host the way browsers do (WHATWG URL: UTS #46,
// non-transitional, no STD3 rules, no hyphen or length checks).
var browserIDNA = idna.New(idna.MapForLookup(), idna.StrictDomainName(false), idna.CheckHyphens(false),
	idna.BidiRule(), idna.CheckJoiners(true))

// asciiHost is h in ASCII, lowercased, without a final dot.
func asciiHost(h string) string {
	a, err := browserIDNA.ToASCII(h)
	if err != nil {
		// Invalid: no browser goes there, but show it unambiguously.
		if a, err = idna.Punycode.ToASCII(strings.ToLower(h)); err != nil {
			a = h
		}
	}
	return strings.TrimSuffix(strings.ToLower(a), ".")
}

// destination returns the host dest leads to and what to show of it: the
// host of an http(s) URL, the domain and the address of a mailto link.
func destination(dest []byte) (host, shown string) {
	u, err := url.Parse(string(util.URLEscape(dest, true)))
	if err != nil {
		return "", ""
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		h := asciiHost(u.Hostname())
		return h, h
	case "mailto":
		addr := u.Opaque
		if addr == "" {
			addr = u.Path
		}
		addr, _, _ = strings.Cut(addr, "?")
		if a, err := url.PathUnescape(addr); err == nil {
			addr = a
		}
		at := strings.LastIndexByte(addr, '@')
		if at < 0 {
			return "", ""
		}
		h := asciiHost(addr[at+1:])
		return h, addr[:at+1] + h
	}
	return "", ""
}

// linkText is the text a reader sees in a link.
func linkText(link ast.Node, source []byte) string {
	if al, ok := link.(*ast.AutoLink); ok {
		return string(al.Label(source))
	}
	var b strings.Builder
	_ = ast.Walk(link, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		return writeInline(&b, n, source), nil
	})
	return b.String()
}

// textHosts lists, lowercased, the hosts that words of s name: the host of
// "https://…", the domain of "a@b.fr", or a bare domain ("ameli.fr",
// "www.ameli.fr/x").
func textHosts(s string) []string {
	var out []string
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, "()[]{}<>«»\"'“”‘’.,;:!?")
		rest, scheme := w, false
		if i := strings.Index(w, "://"); i > 0 {
			rest, scheme = w[i+3:], true
		}
		if i := strings.IndexAny(rest, "/?#\\"); i >= 0 {
			rest = rest[:i]
		}
		if i := strings.LastIndexByte(rest, '@'); i >= 0 {
			rest = rest[i+1:]
		}
		if h, _, ok := strings.Cut(rest, ":"); ok && !strings.HasPrefix(rest, "[") {
			rest = h
		}
		rest = strings.TrimSuffix(strings.ToLower(rest), ".")
		if rest != "" && (scheme || domainLike(rest)) {
			out = append(out, rest)
		}
	}
	return out
}

// domainLike: two labels or more of letters, digits and hyphens, the last
// of two letters or more ("ameli.fr", not "3.5" nor "p.").
func domainLike(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.ContainsFunc(l, func(r rune) bool {
			return r != '-' && !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
		}) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return len([]rune(tld)) >= 2 && !strings.ContainsFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsMark(r) })
}
