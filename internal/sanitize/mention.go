package sanitize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// A mention is "@" followed by [\p{L}\p{N}._-]+, where the "@" starts the
// text or follows a character that is not a letter or digit (so an e-mail
// address is no mention). "_" counts as a boundary, unlike in \w, because it
// is also Markdown emphasis: "_@claire_" must mention. Trailing ".", "-" and "_" are left out of
// the token: "merci @claire." mentions "claire", and "_@claire_" is an
// italic mention. Being an inline parser, it never sees code spans, code
// blocks or link destinations, which other parsers consume first; mentions
// inside link text are demoted to text by chatTransformer.

var kindMention = ast.NewNodeKind("Mention")

// mentionNode covers "@Token" in the source; token is lowercased.
type mentionNode struct {
	ast.BaseInline
	segment text.Segment // "@Token" as typed
	token   string
}

func (n *mentionNode) Kind() ast.NodeKind { return kindMention }

func (n *mentionNode) Dump(source []byte, level int) {
	ast.DumpHelper(n, source, level, map[string]string{"Token": n.token}, nil)
}

type mentionParser struct{}

func (mentionParser) Trigger() []byte { return []byte{'@'} }

func (mentionParser) Parse(_ ast.Node, block text.Reader, _ parser.Context) ast.Node {
	if prev := block.PrecendingCharacter(); isWordRune(prev) {
		return nil
	}
	line, seg := block.PeekLine()
	n := tokenLen(line[1:])
	if n == 0 {
		return nil
	}
	block.Advance(1 + n)
	s := seg.WithStop(seg.Start + 1 + n)
	return &mentionNode{segment: s, token: strings.ToLower(string(line[1 : 1+n]))}
}

// tokenLen returns the length in bytes of the mention token at the start of
// b, trailing ".", "-" and "_" excluded.
func tokenLen(b []byte) int {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if !isTokenRune(r) {
			break
		}
		n += size
	}
	for n > 0 && strings.IndexByte("._-", b[n-1]) >= 0 {
		n--
	}
	return n
}

func isTokenRune(r rune) bool {
	return r == '.' || r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isWordRune reports whether r glues to a following "@" (as in an e-mail
// address). Line starts (reported as '\n') and "_" report false.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r)
}

// mentionRenderer writes <span class="mention" data-mention="token">@Token</span>.
type mentionRenderer struct{}

func (mentionRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(kindMention, renderMention)
}

func renderMention(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	if !entering {
		return ast.WalkContinue, nil
	}
	n := node.(*mentionNode)
	_, _ = w.WriteString(`<span class="mention" data-mention="`)
	_, _ = w.Write(util.EscapeHTML([]byte(n.token)))
	_, _ = w.WriteString(`">`)
	_, _ = w.Write(util.EscapeHTML(n.segment.Value(source)))
	_, _ = w.WriteString(`</span>`)
	return ast.WalkSkipChildren, nil
}
