package report

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/go-pdf/fpdf"
)

// PDFOptions tune the PDF.
type PDFOptions struct {
	// Title heads the cover; "" means "Migration report".
	Title string
	// GeneratedAt is printed on the cover and stored as the file's creation date. Zero
	// leaves it off the cover and dates the file now; a fixed value makes the output
	// byte-for-byte repeatable.
	GeneratedAt time.Time
	// Location is the time zone times are printed in; nil means UTC.
	Location *time.Location
	// Anonymised says on the cover that owners' names and addresses were replaced.
	Anonymised bool
}

// Page geometry in millimetres (A4 portrait).
const (
	pageW    = 210.0
	pageH    = 297.0
	margin   = 15.0
	contentW = pageW - 2*margin
	bottom   = pageH - margin - 6 // the footer lives below this line
	pad      = 1.2                // text inset inside a cell
)

// Colours (RGB).
var (
	colText   = [3]int{33, 37, 41}
	colMuted  = [3]int{108, 117, 125}
	colAccent = [3]int{13, 110, 110}
	colOK     = [3]int{25, 135, 84}
	colBad    = [3]int{200, 35, 51}
	colWarn   = [3]int{176, 96, 0}
	colBand   = [3]int{226, 242, 240}
	colHead   = [3]int{238, 240, 242}
	colRule   = [3]int{206, 212, 218}
)

// Font families registered with fpdf.
const (
	famLatin = "dejavu"
	famCJK   = "droidfallback"
)

// pdfDoc draws text that mixes scripts: each string is split into runs that the embedded
// fonts cover, measured on a page-less twin document so measuring never writes font
// changes into the page.
type pdfDoc struct {
	f, m     *fpdf.Fpdf // f draws; m only measures
	fs       *fontSet
	loc      *time.Location
	style    string  // current style of the latin font: "" or "B"
	size     float64 // current size in points
	cur      fontKey // font selected on f, to skip redundant selections
	mcur     fontKey // font selected on m
	cjkAdded bool
}

// WritePDF writes ms as a PDF: a cover with the totals and a list of the migrations, then
// one section per migration with its hosts, steps and timings, what was moved, the URL
// replacements per table, the validation checks and the warnings. Text in any Latin,
// Greek, Cyrillic or CJK script renders with the embedded fonts.
func WritePDF(w io.Writer, ms []Migration, opt PDFOptions) error {
	title := opt.Title
	if title == "" {
		title = "Migration report"
	}
	p, err := newPDFDoc(title, opt)
	if err != nil {
		return err
	}
	if p.needsCJK(ms, title) {
		p.addCJK()
	}

	p.cover(ms, title, opt)
	for i, m := range ms {
		if i == 0 {
			p.f.AddPage()
		}
		p.section(m)
	}
	if err := p.f.Output(w); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// newPDFDoc starts a document titled title, with the footer every page carries.
func newPDFDoc(title string, opt PDFOptions) (*pdfDoc, error) {
	fs, err := embeddedFonts()
	if err != nil {
		return nil, fmt.Errorf("write pdf: %w", err)
	}
	p := &pdfDoc{fs: fs, loc: opt.Location, size: 9}
	if p.loc == nil {
		p.loc = time.UTC
	}
	p.f = newFpdf()
	p.m = newFpdf()
	p.f.SetTitle(title, true)
	p.f.SetCreator("Ferry", true)
	p.f.SetProducer("Ferry", true)
	if !opt.GeneratedAt.IsZero() {
		p.f.SetCreationDate(opt.GeneratedAt)
		p.f.SetModificationDate(opt.GeneratedAt)
	}
	p.f.AliasNbPages("{nb}")
	p.f.SetFooterFunc(func() {
		p.f.SetFont(famLatin, "", 7.5)
		p.f.SetTextColor(colMuted[0], colMuted[1], colMuted[2])
		p.f.SetXY(margin, pageH-margin+2)
		p.f.CellFormat(contentW/2, 4, "Ferry · "+latinSafe(title), "", 0, "L", false, 0, "")
		p.f.CellFormat(contentW/2, 4, fmt.Sprintf("Page %d of {nb}", p.f.PageNo()), "", 0, "R", false, 0, "")
	})
	return p, nil
}

func newFpdf() *fpdf.Fpdf {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(false, margin) // pdfDoc.need breaks pages, so a mixed-font line never splits
	f.SetCellMargin(0)
	f.SetCatalogSort(true) // repeatable output
	f.SetCompression(true)
	f.AddUTF8FontFromBytes(famLatin, "", dejaVuSans)
	f.AddUTF8FontFromBytes(famLatin, "B", dejaVuSansBold)
	return f
}

// needsCJK reports whether any text will need the CJK font; the 4 MB font is parsed only then.
func (p *pdfDoc) needsCJK(ms []Migration, title string) bool {
	cjk := p.hasCJK
	if cjk(title) {
		return true
	}
	for _, m := range ms {
		for _, s := range []string{m.User.Name, m.User.Email, m.Service, m.Domain, m.OldURL, m.NewURL,
			m.Source.Summary(), m.Destination.Summary(), strings.Join(m.Warnings, " ")} {
			if cjk(s) {
				return true
			}
		}
		for _, c := range m.Validation {
			if cjk(c.Message) {
				return true
			}
		}
		for _, s := range m.Steps {
			if cjk(s.Error) {
				return true
			}
		}
		for _, c := range m.Replacements.Columns {
			if cjk(c.Table + c.Column) {
				return true
			}
		}
	}
	return false
}

// hasCJK reports whether s needs the CJK font.
func (p *pdfDoc) hasCJK(s string) bool {
	if p.fs.latinOnly(s) {
		return false
	}
	for _, r := range p.fs.runs(s) {
		if r.font == fontCJK {
			return true
		}
	}
	return false
}

func (p *pdfDoc) addCJK() {
	if p.cjkAdded {
		return
	}
	p.f.AddUTF8FontFromBytes(famCJK, "", droidSansFallback)
	p.m.AddUTF8FontFromBytes(famCJK, "", droidSansFallback)
	p.cjkAdded = true
}

// latinSafe keeps s to what the latin font draws (for the footer, drawn outside runs).
func latinSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if fonts != nil && fonts.latin.has(r) {
			return r
		}
		return '?'
	}, s)
}

// font sets the style and size of the text that follows.
func (p *pdfDoc) font(style string, size float64) { p.style, p.size = style, size }

func (p *pdfDoc) color(c [3]int) { p.f.SetTextColor(c[0], c[1], c[2]) }

func (p *pdfDoc) fill(c [3]int) { p.f.SetFillColor(c[0], c[1], c[2]) }

// fontKey is a font selection: family, style and size.
type fontKey struct {
	font  int
	style string
	size  float64
}

// use selects the font of run r on doc d (f or m), remembering the selection in *cur.
func (p *pdfDoc) use(d *fpdf.Fpdf, cur *fontKey, font int) {
	fam, style := famLatin, p.style
	if font == fontCJK {
		if !p.cjkAdded {
			p.addCJK()
		}
		fam, style = famCJK, ""
	}
	key := fontKey{font, style, p.size}
	if *cur == key {
		return
	}
	d.SetFont(fam, style, p.size)
	*cur = key
}

// measure splits s into runs and returns them with their widths and the total width.
func (p *pdfDoc) measure(s string) ([]textRun, []float64, float64) {
	runs := p.fs.runs(s)
	ws := make([]float64, len(runs))
	var total float64
	for i, r := range runs {
		p.use(p.m, &p.mcur, r.font)
		ws[i] = p.m.GetStringWidth(r.text)
		total += ws[i]
	}
	return runs, ws, total
}

// width measures s in the current style and size.
func (p *pdfDoc) width(s string) float64 {
	_, _, w := p.measure(s)
	return w
}

// fit shortens s with an ellipsis until it is at most w wide.
func (p *pdfDoc) fit(s string, w float64) string {
	if p.width(s) <= w {
		return s
	}
	rs := []rune(s)
	lo, hi := 0, len(rs)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if p.width(string(rs[:mid])+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRightFunc(string(rs[:lo]), unicode.IsSpace) + "…"
}

// cell draws s in a box w×h at the current position, shortened to fit, aligned "L", "R"
// or "C", on the fill colour when fill is set, and moves right by w. Text is placed with
// fpdf's Text, run by run, on the baseline CellFormat would use.
func (p *pdfDoc) cell(w, h float64, s, align string, fill bool) {
	x0, y0 := p.f.GetXY()
	if fill {
		p.f.Rect(x0, y0, w, h, "F")
	}
	runs, ws, tw := p.measure(s)
	if tw > w-2*pad {
		runs, ws, tw = p.measure(p.fit(s, w-2*pad))
	}
	tx := x0 + pad
	switch align {
	case "R":
		tx = x0 + w - pad - tw
	case "C":
		tx = x0 + (w-tw)/2
	}
	base := y0 + h/2 + 0.3*p.size/p.f.GetConversionRatio()
	for i, r := range runs {
		p.use(p.f, &p.cur, r.font)
		p.f.Text(tx, base, r.text)
		tx += ws[i]
	}
	p.f.SetXY(x0+w, y0)
}

// wrap breaks s into lines at most w wide: at spaces, between CJK characters, or anywhere
// inside a word too long for a line (a URL).
func (p *pdfDoc) wrap(s string, w float64) []string {
	if !strings.Contains(s, "\n") && p.width(s) <= w {
		return []string{s}
	}
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var line strings.Builder
		for _, tok := range tokens(para) {
			try := line.String() + tok
			if p.width(try) <= w || line.Len() == 0 && p.width(tok) <= w {
				line.WriteString(tok)
				continue
			}
			if line.Len() > 0 {
				lines = append(lines, strings.TrimRight(line.String(), " "))
				line.Reset()
				tok = strings.TrimLeft(tok, " ")
			}
			for p.width(tok) > w { // a token wider than the line: cut it
				rs := []rune(tok)
				n := len(rs) - 1
				for n > 1 && p.width(string(rs[:n])) > w {
					n--
				}
				lines = append(lines, string(rs[:n]))
				tok = string(rs[n:])
			}
			line.WriteString(tok)
		}
		lines = append(lines, strings.TrimRight(line.String(), " "))
	}
	return lines
}

// tokens splits s into words with their leading space, and CJK characters one by one,
// since CJK text breaks between any two characters.
func tokens(s string) []string {
	var out []string
	start := 0
	for i, r := range s {
		isCJK := r >= 0x2E80 && r <= 0x9FFF || r >= 0xAC00 && r <= 0xD7AF || r >= 0xF900 && r <= 0xFAFF || r >= 0xFF00 && r <= 0xFFEF
		switch {
		case r == ' ' && i > start:
			out = append(out, s[start:i])
			start = i
		case isCJK:
			if i > start {
				out = append(out, s[start:i])
			}
			n := i + len(string(r))
			out = append(out, s[i:n])
			start = n
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

// para draws s wrapped into a column w wide at x, h per line, breaking pages as needed.
func (p *pdfDoc) para(x, w, h float64, s string) {
	for _, line := range p.wrap(s, w-2*pad) {
		p.need(h)
		p.f.SetX(x)
		p.cell(w, h, line, "L", false)
		p.f.Ln(h)
	}
}

// need starts a new page unless h more millimetres fit on this one; it reports whether
// it did, so tables can repeat their header.
func (p *pdfDoc) need(h float64) bool {
	if p.f.GetY()+h <= bottom {
		return false
	}
	p.f.AddPage()
	p.f.SetXY(margin, margin)
	return true
}

// stamp prints t in the report's zone, "—" when unknown.
func (p *pdfDoc) stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(p.loc).Format("2006-01-02 15:04:05 MST")
}

// column is one column of a table.
type column struct {
	title string
	w     float64
	align string
}

// table draws a header row and rows, repeating the header after a page break. colour,
// when set, picks the text colour of a cell.
func (p *pdfDoc) table(cols []column, rows [][]string, colour func(row, col int) [3]int) {
	const h = 4.8
	header := func() {
		p.font("B", 8)
		p.color(colText)
		p.fill(colHead)
		p.f.SetX(margin)
		for _, c := range cols {
			p.cell(c.w, h, c.title, c.align, true)
		}
		p.f.Ln(h)
	}
	p.need(2 * h)
	header()
	p.font("", 8.5)
	p.f.SetDrawColor(colRule[0], colRule[1], colRule[2])
	p.f.SetLineWidth(0.1)
	for i, row := range rows {
		if p.need(h) {
			header()
			p.font("", 8.5)
		}
		p.f.SetX(margin)
		for j, c := range cols {
			col := colText
			if colour != nil {
				col = colour(i, j)
			}
			p.color(col)
			p.cell(c.w, h, row[j], c.align, false)
		}
		p.f.Ln(h)
		y := p.f.GetY()
		p.f.Line(margin, y, margin+contentW, y)
	}
	p.color(colText)
}
