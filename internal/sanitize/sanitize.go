package sanitize

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
	"golang.org/x/text/unicode/norm"
)

// MaxInputBytes bounds what Render accepts: the WebSocket read limit. Chat
// messages are shorter (core limits them); the bound keeps a forgotten check
// elsewhere from letting one request spend long in the parser (64 KiB of
// the slowest linear shapes, such as thousands of list items or table rows,
// take tens of milliseconds).
const MaxInputBytes = 64 << 10

// ErrTooLong is returned (wrapped) by Render for input over MaxInputBytes.
var ErrTooLong = errors.New("sanitize: input too long")

// linkRel and linkTarget are put on every link. noopener and target go
// together (the opened page gets no window.opener); nofollow and noreferrer
// keep the platform from vouching for, or leaking its URLs to, outside sites.
const (
	linkRel    = "nofollow noopener noreferrer"
	linkTarget = "_blank"
)

// Rendered is the result of one Render call.
type Rendered struct {
	HTML string // sanitised HTML fragment, safe to insert as is
	Text string // plain text for search and notifications: markdown stripped, whitespace collapsed
	// Mentions are the raw @tokens found outside code and links, lowercased,
	// without '@', deduplicated, in order of first appearance: "channel",
	// "pharmaciens", "claire.morel"… core resolves them to users or groups.
	Mentions []string
}

// Renderer converts chat Markdown. It is safe for concurrent use; build it
// once with New.
type Renderer struct {
	full   goldmark.Markdown // the chat flavour
	plain  goldmark.Markdown // paragraphs, code, links and mentions only: see costly
	policy *bluemonday.Policy
}

// New builds a Renderer.
func New() *Renderer {
	// Parsers of our own rather than goldmark's defaults: the same block and
	// inline parsers minus the two that recognise raw HTML (both constructors
	// return package-level singletons, hence the comparison by identity).
	var blocks, inlines []util.PrioritizedValue
	for _, v := range parser.DefaultBlockParsers() {
		if v.Value != parser.NewHTMLBlockParser() {
			blocks = append(blocks, v)
		}
	}
	for _, v := range parser.DefaultInlineParsers() {
		if v.Value != parser.NewRawHTMLParser() {
			inlines = append(inlines, v)
		}
	}
	full := newMarkdown(blocks, inlines, parser.DefaultParagraphTransformers(),
		extension.Strikethrough,
		extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignAttribute)),
	)
	// The plain flavour keeps only parsers that run in linear time: no
	// emphasis, links, link reference definitions, quotes, lists, headings
	// or tables.
	plain := newMarkdown(
		[]util.PrioritizedValue{
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		},
		[]util.PrioritizedValue{
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
		},
		nil,
	)
	return &Renderer{full: full, plain: plain, policy: newPolicy()}
}

func newMarkdown(blocks, inlines, paragraphs []util.PrioritizedValue, extra ...goldmark.Extender) goldmark.Markdown {
	inlines = append(inlines, util.Prioritized(mentionParser{}, 600))
	p := parser.NewParser(
		parser.WithBlockParsers(blocks...),
		parser.WithInlineParsers(inlines...),
		parser.WithParagraphTransformers(paragraphs...),
		parser.WithASTTransformers(util.Prioritized(chatTransformer{}, 1000)),
	)
	return goldmark.New(
		goldmark.WithParser(p),
		goldmark.WithExtensions(append(extra,
			extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		)...),
		goldmark.WithRendererOptions(
			html.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(mentionRenderer{}, 100), util.Prioritized(linkHostRenderer{}, 100)),
		),
	)
}

// newPolicy allows exactly what the renderer emits. Anything else, however
// it got there, is dropped (elements) or stripped (attributes).
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements(
		"p", "br", "strong", "em", "del", "code", "pre", "blockquote",
		"ul", "ol", "li", "hr", "h3", "h4", "h5", "h6",
		"table", "thead", "tbody", "tr", "th", "td",
	)
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^language-[A-Za-z0-9_+#.-]{1,40}$`)).OnElements("code")

	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("title").OnElements("a") // text only: bluemonday escapes it
	p.AllowURLSchemes("http", "https", "mailto")
	p.AllowRelativeURLs(false)
	p.RequireParseableURLs(true)
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + linkRel + `$`)).OnElements("a")
	p.AllowAttrs("target").Matching(regexp.MustCompile(`^` + linkTarget + `$`)).OnElements("a")
	// Belt and braces: the renderer sets rel and target itself, but should a
	// link ever lack them, bluemonday adds the protective values.
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)

	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(mention|link-host)$`)).OnElements("span")
	p.AllowAttrs("data-mention").Matching(regexp.MustCompile(`^[\p{L}\p{N}._-]+$`)).OnElements("span")
	return p
}

// Render converts one message. Errors: ErrTooLong (wrapped) for oversized
// input; nothing else is expected, since rendering writes to memory.
func (r *Renderer) Render(markdown string) (Rendered, error) {
	if len(markdown) > MaxInputBytes {
		return Rendered{}, fmt.Errorf("sanitize: %d bytes, at most %d: %w", len(markdown), MaxInputBytes, ErrTooLong)
	}
	src := []byte(normalise(markdown))
	md := r.full
	if costly(src) {
		md = r.plain
	}
	doc := md.Parser().Parse(text.NewReader(src))

	var buf bytes.Buffer
	buf.Grow(len(src) + len(src)/2 + 64)
	if err := md.Renderer().Render(&buf, src, doc); err != nil {
		return Rendered{}, fmt.Errorf("sanitize: render: %w", err)
	}
	return Rendered{
		HTML:     strings.TrimSpace(r.policy.SanitizeReader(&buf).String()),
		Text:     plainText(doc, src),
		Mentions: mentions(doc),
	}, nil
}

// normalise makes the input valid NFC UTF-8 without NUL bytes (CommonMark
// replaces U+0000 with U+FFFD; goldmark leaves it).
func normalise(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	return norm.NFC.String(s)
}

// mentions lists the tokens of the mention nodes left after the transformer
// demoted those inside links.
func mentions(doc ast.Node) []string {
	var out []string
	seen := map[string]bool{}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if m, ok := n.(*mentionNode); ok && entering && !seen[m.token] {
			seen[m.token] = true
			out = append(out, m.token)
		}
		return ast.WalkContinue, nil
	})
	return out
}
