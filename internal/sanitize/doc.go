// Package sanitize turns the Markdown of a chat message into safe HTML, a
// plain-text version (for search and notifications) and the list of raw
// @mentions, in one parse.
//
// Flavour: paragraphs with hard wraps (one newline is a <br>), bold, italic,
// ~~strike~~, code spans, fenced code blocks (no highlighting), block
// quotes, lists, GFM tables, links and bare URLs (http, https, mailto only;
// every link gets rel="nofollow noopener noreferrer" and target="_blank").
// Deliberate choices:
//   - Raw HTML is never interpreted: the HTML parsers of goldmark are removed,
//     so "<b>" or "<Dr Martin>" shows literally as typed instead of vanishing.
//   - Images render as links to the image (text: the alt text, else the URL).
//   - Headings "#", "##" and "###" all render as <h3>; "####" and smaller keep
//     their level. A chat line never gets a page-sized title.
//   - A link whose target is not http(s) with a host or mailto keeps its text
//     but loses the link.
//   - A link whose text names an address ("[https://ameli.fr](https://evil.example)",
//     "[ameli.fr](…)") but leads to another host is followed by the real
//     host, in ASCII (punycode for an internationalised one):
//     <span class="link-host">(evil.example)</span>. See linkhost.go.
//   - The input is normalised to Unicode NFC so that "é" typed on any keyboard
//     is one code point for mentions, search and display.
//
// goldmark produces the HTML; bluemonday then filters it with a policy
// allowing exactly the elements and attributes above, and is the real guard:
// whatever goldmark emits, no script, event handler, style or foreign URL
// scheme survives it, and filtering its output again changes nothing.
//
// Some inputs drive goldmark into quadratic paths (thousands of unmatched
// emphasis markers, "[a](" repeated on one long line, deep quote nesting).
// A linear pre-scan (costly) spots markup beyond what any real message
// carries and renders those inputs in a plain flavour: paragraphs, line
// breaks, code, bare links and mentions, without emphasis, links, quotes,
// lists, headings or tables. Input is limited to MaxInputBytes.
//
// A Renderer is built once and is safe for concurrent use.
package sanitize
