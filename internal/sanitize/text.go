package sanitize

import (
	"strings"

	"github.com/yuin/goldmark/ast"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/util"
)

// plainText flattens the document: the words as the reader sees them
// (escapes and entities resolved, link targets dropped, code kept), blocks
// and line breaks as spaces, runs of white space collapsed to one space.
func plainText(doc ast.Node, source []byte) string {
	var b strings.Builder
	b.Grow(len(source))
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if n.Type() == ast.TypeBlock || n.Kind() == east.KindTableCell {
			// Blocks never glue to their neighbours: "a" then "b" is "a b".
			b.WriteByte(' ')
		}
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text, *ast.String, *ast.CodeSpan:
			return writeInline(&b, n, source), nil
		case *ast.FencedCodeBlock, *ast.CodeBlock:
			lines := n.Lines()
			for i := range lines.Len() {
				seg := lines.At(i)
				b.Write(seg.Value(source))
			}
			return ast.WalkSkipChildren, nil
		case *ast.AutoLink:
			b.Write(n.Label(source))
			return ast.WalkSkipChildren, nil
		case *mentionNode:
			b.Write(n.segment.Value(source))
			return ast.WalkSkipChildren, nil
		case *linkHostNode:
			b.WriteString(" (" + n.host + ")")
		}
		return ast.WalkContinue, nil
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// writeInline writes the text a reader sees of an inline text, string or
// code span n; whether to skip its children.
func writeInline(b *strings.Builder, n ast.Node, source []byte) ast.WalkStatus {
	switch n := n.(type) {
	case *ast.Text:
		b.Write(resolve(n.Value(source)))
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteByte(' ')
		}
	case *ast.String:
		b.Write(n.Value)
	case *ast.CodeSpan:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				b.Write(t.Value(source))
			}
		}
		return ast.WalkSkipChildren
	}
	return ast.WalkContinue
}

// resolve applies what the HTML renderer does to text: backslash escapes,
// numeric and named character references.
func resolve(b []byte) []byte {
	if !hasEscapeOrRef(b) {
		return b
	}
	return util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(b)))
}

func hasEscapeOrRef(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '&' {
			return true
		}
	}
	return false
}
