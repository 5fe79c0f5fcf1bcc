package sanitize

import "bytes"

// Some goldmark paths are quadratic: emphasis delimiters that never match
// ("*a_*a_…"), link destinations scanned to the end of the line for every
// "](" ("[a](" repeated), deep block-quote nesting, nested brackets. 16 KiB
// of such input costs goldmark tens of milliseconds, 128 KiB tens of
// seconds. costly spots those inputs with one linear scan, and Render then
// uses the plain flavour, linear, so that no message can pin a core.
//
// Real messages stay far below the budgets (a long protocol with heavy
// formatting has a few hundred markers); inside fenced code goldmark parses
// no inline markup, so those lines are not counted.
const (
	// maxMarkers bounds '*', '_', '~', '[' and '>' outside fenced code.
	// Quadratic in them, goldmark spends about 1 ms on 1,000.
	maxMarkers = 1000
	// maxLinkScan bounds the sum, over every "](", of the bytes left on its
	// line: what the link-destination parser may read.
	maxLinkScan = 1 << 20
)

func costly(src []byte) bool {
	markers, linkScan := 0, 0
	var fenceChar byte // non-zero inside a fenced code block
	fenceLen := 0
	// A last empty line (src ends with a newline, or is empty) counts
	// nothing.
	for line := range bytes.SplitSeq(src, []byte{'\n'}) {
		if fenceChar != 0 {
			// Laxer than goldmark (any indent, anything after): at worst the
			// scan leaves the block early and counts more, never less.
			if c, n := fenceRun(bytes.TrimLeft(line, " \t")); c == fenceChar && n >= fenceLen {
				fenceChar = 0
			}
			continue
		}
		if c, n, ok := openingFence(line); ok {
			fenceChar, fenceLen = c, n
			continue
		}
		for i, c := range line {
			switch c {
			case '*', '_', '~', '[', '>':
				markers++
			case ']':
				if i+1 < len(line) && line[i+1] == '(' {
					linkScan += len(line) - i
				}
			}
		}
		if markers > maxMarkers || linkScan > maxLinkScan {
			return true
		}
	}
	return false
}

// openingFence is stricter than goldmark (top level only, spaces only): a
// line it accepts, goldmark opens as a fence too, so no markup hides from
// the count behind a fence goldmark does not see.
func openingFence(line []byte) (char byte, n int, ok bool) {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	if indent > 3 {
		return 0, 0, false
	}
	c, n := fenceRun(line[indent:])
	if n < 3 {
		return 0, 0, false
	}
	if c == '`' && bytes.IndexByte(line[indent+n:], '`') >= 0 {
		return 0, 0, false
	}
	return c, n, true
}

// fenceRun returns the fence character starting b and how many times it
// repeats; 0, 0 when b does not start with '`' or '~'.
func fenceRun(b []byte) (byte, int) {
	if len(b) == 0 || (b[0] != '`' && b[0] != '~') {
		return 0, 0
	}
	n := 1
	for n < len(b) && b[n] == b[0] {
		n++
	}
	return b[0], n
}
