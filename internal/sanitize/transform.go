package sanitize

import (
	"net/url"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// chatTransformer reshapes the parsed document into the chat flavour:
// headings capped at h3, images turned into links, links restricted to
// http(s)/mailto, marked rel/target and followed by their real host when
// their text names another (revealHost), mentions inside links demoted to
// text. It collects first and edits after, as goldmark's Walk does not
// allow changing the tree under it.
type chatTransformer struct{}

func (chatTransformer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	source := reader.Source()
	var images, links, demoted []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = max(n.Level, 3)
		case *ast.Image:
			images = append(images, n)
		case *ast.Link, *ast.AutoLink:
			links = append(links, n)
		case *mentionNode:
			if insideLink(n) {
				demoted = append(demoted, n)
			}
		}
		return ast.WalkContinue, nil
	})

	for _, n := range demoted {
		m := n.(*mentionNode)
		m.Parent().ReplaceChild(m.Parent(), m, ast.NewTextSegment(m.segment))
	}
	for _, n := range images {
		imageToLink(n.(*ast.Image), source)
	}
	for _, n := range links {
		var dest []byte
		switch l := n.(type) {
		case *ast.Link:
			dest = l.Destination
		case *ast.AutoLink:
			dest = l.URL(source)
			if l.AutoLinkType == ast.AutoLinkEmail && !hasMailto(dest) {
				dest = append([]byte("mailto:"), dest...)
			}
		}
		if !allowedURL(dest) {
			unwrapLink(n, source)
			continue
		}
		n.SetAttributeString("rel", []byte(linkRel))
		n.SetAttributeString("target", []byte(linkTarget))
		revealHost(n, dest, source)
	}
}

func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.(type) {
		case *ast.Link, *ast.AutoLink, *ast.Image:
			return true
		}
	}
	return false
}

// imageToLink replaces an image with a link to it, or with its alt text
// alone when it already sits inside a link (no link in a link).
func imageToLink(img *ast.Image, source []byte) {
	parent := img.Parent()
	if parent == nil {
		return
	}
	if insideLink(img) {
		for c := img.FirstChild(); c != nil; {
			next := c.NextSibling()
			parent.InsertBefore(parent, img, c)
			c = next
		}
		parent.RemoveChild(parent, img)
		return
	}
	link := ast.NewLink()
	link.Destination = img.Destination
	link.Title = img.Title
	for c := img.FirstChild(); c != nil; {
		next := c.NextSibling()
		link.AppendChild(link, c)
		c = next
	}
	if !link.HasChildren() {
		link.AppendChild(link, ast.NewString(img.Destination))
	}
	parent.ReplaceChild(parent, img, link)
	// Links are collected before images are converted: check this one here.
	if !allowedURL(link.Destination) {
		unwrapLink(link, nil)
		return
	}
	link.SetAttributeString("rel", []byte(linkRel))
	link.SetAttributeString("target", []byte(linkTarget))
	revealHost(link, link.Destination, source)
}

// unwrapLink replaces a link by its content: the text of a Link, the label
// of an AutoLink.
func unwrapLink(n ast.Node, source []byte) {
	parent := n.Parent()
	if parent == nil {
		return
	}
	if al, ok := n.(*ast.AutoLink); ok {
		parent.ReplaceChild(parent, al, ast.NewString(al.Label(source)))
		return
	}
	for c := n.FirstChild(); c != nil; {
		next := c.NextSibling()
		parent.InsertBefore(parent, n, c)
		c = next
	}
	parent.RemoveChild(parent, n)
}

func hasMailto(b []byte) bool {
	return len(b) >= 7 && strings.EqualFold(string(b[:7]), "mailto:")
}

// allowedURL reports whether a destination, read as the HTML renderer will
// write it (entities and escapes resolved), is http(s) with a host or
// mailto. bluemonday enforces the same schemes again on the output.
func allowedURL(dest []byte) bool {
	u, err := url.Parse(string(util.URLEscape(dest, true)))
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != "" || u.Path != ""
	}
	return false
}
