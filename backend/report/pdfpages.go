package report

import (
	"fmt"
	"strconv"
	"strings"
)

// cover draws the first page: the title, the totals as cards and the list of migrations.
func (p *pdfDoc) cover(ms []Migration, title string, opt PDFOptions) {
	f := p.f
	f.AddPage()
	s := Summarise(ms)

	sub := p.coverBand(title, opt)
	sub = append(sub, plural(s.Count, "migration", "migrations"))
	if opt.Anonymised {
		sub = append(sub, "owners anonymised")
	}
	p.cell(contentW, 5, strings.Join(sub, " · "), "L", false)
	f.Ln(9)

	checks := "All passed"
	if s.WithFailedChecks > 0 {
		checks = fmt.Sprintf("%d with failures", s.WithFailedChecks)
	}
	cards := [][2]string{
		{"Migrations", thousands(int64(s.Count))},
		{"Bytes moved", humanBytes(s.BytesMoved)},
		{"Rows imported", thousands(s.Rows)},
		{"Files uploaded", thousands(s.Files)},
		{"Total duration", humanDuration(s.TotalDuration)},
		{"Median duration", humanDuration(s.MedianDuration)},
		{"URL replacements", thousands(s.Replacements)},
		{"Validation", checks},
	}
	p.cards(cards, "Validation", s.WithFailedChecks > 0)

	p.font("", 8.5)
	p.color(colMuted)
	detail := []string{
		fmt.Sprintf("Bytes moved: %s of files (%s bytes) + %s of SQL imported (%s bytes) = %s bytes",
			humanBytes(s.FileBytes), thousands(s.FileBytes), humanBytes(s.DatabaseBytes), thousands(s.DatabaseBytes), thousands(s.BytesMoved)),
		fmt.Sprintf("Tables imported: %s · Rows imported: %s · Warnings: %d", thousands(s.Tables), thousands(s.Rows), s.Warnings),
	}
	if !s.FirstStarted.IsZero() || !s.LastCompleted.IsZero() {
		detail = append(detail, fmt.Sprintf("First started %s · last completed %s", p.stamp(s.FirstStarted), p.stamp(s.LastCompleted)))
	}
	for _, d := range detail {
		p.para(margin, contentW, 4.6, d)
	}
	f.Ln(4)

	p.heading("Migrations in this report")
	rows := make([][]string, 0, len(ms))
	for _, m := range ms {
		check := "—"
		if len(m.Validation) > 0 {
			check = "✓ passed"
			if !m.ValidationPassed() {
				check = "✗ failed"
			}
		}
		completed := "—"
		if !m.CompletedAt.IsZero() {
			completed = m.CompletedAt.In(p.loc).Format("2006-01-02 15:04")
		}
		rows = append(rows, []string{strconv.FormatInt(m.ID, 10), m.Domain, m.User.Name, completed,
			humanDuration(m.Duration), humanBytes(m.BytesMoved()), check})
	}
	p.table([]column{{"ID", 10, "R"}, {"Domain", 46, "L"}, {"Owner", 34, "L"}, {"Completed", 32, "L"},
		{"Duration", 22, "R"}, {"Moved", 18, "R"}, {"Checks", 18, "L"}}, rows,
		func(r, c int) [3]int {
			if c == 6 && strings.HasPrefix(rows[r][6], "✗") {
				return colBad
			}
			if c == 6 && strings.HasPrefix(rows[r][6], "✓") {
				return colOK
			}
			return colText
		})
}

// heading draws a sub-heading with a rule under it.
// coverBand draws a cover page's coloured band with its title and starts the line under
// it, returning that line's first part ("Generated …") for the caller to complete.
func (p *pdfDoc) coverBand(title string, opt PDFOptions) []string {
	f := p.f
	p.fill(colAccent)
	f.Rect(0, 0, pageW, 32, "F")
	f.SetXY(margin, 9)
	p.color([3]int{255, 255, 255})
	p.font("B", 9)
	p.cell(contentW, 5, "FERRY", "L", false)
	f.SetXY(margin, 15)
	p.font("B", 20)
	p.cell(contentW, 10, title, "L", false)

	f.SetXY(margin, 38)
	p.color(colMuted)
	p.font("", 9)
	var sub []string
	if !opt.GeneratedAt.IsZero() {
		sub = append(sub, "Generated "+p.stamp(opt.GeneratedAt))
	}
	return sub
}

// cards draws the cover's figures as two rows of four cards, the one labelled bad in
// red when isBad, and leaves the cursor below them.
func (p *pdfDoc) cards(cards [][2]string, bad string, isBad bool) {
	f := p.f
	const cw, ch, gap = 43.5, 17.0, 2.0
	top := f.GetY()
	for i, c := range cards {
		x := margin + float64(i%4)*(cw+gap)
		y := top + float64(i/4)*(ch+gap)
		p.fill(colBand)
		f.Rect(x, y, cw, ch, "F")
		f.SetXY(x+1, y+2)
		p.font("", 8)
		p.color(colMuted)
		p.cell(cw-2, 4.5, c[0], "L", false)
		f.SetXY(x+1, y+7.5)
		p.font("B", 13)
		p.color(colText)
		if c[0] == bad && isBad {
			p.color(colBad)
		}
		p.cell(cw-2, 7, c[1], "L", false)
	}
	f.SetXY(margin, top+2*(ch+gap)+1)
}

func (p *pdfDoc) heading(s string) {
	p.need(14)
	p.f.Ln(1.5)
	p.f.SetX(margin)
	p.font("B", 10)
	p.color(colAccent)
	p.cell(contentW, 6, s, "L", false)
	p.f.Ln(6)
	y := p.f.GetY()
	p.f.SetDrawColor(colAccent[0], colAccent[1], colAccent[2])
	p.f.SetLineWidth(0.3)
	p.f.Line(margin, y, margin+contentW, y)
	p.f.Ln(1.2)
	p.color(colText)
}

// kv draws a label and a wrapped value.
func (p *pdfDoc) kv(label, value string) {
	const lw, h = 34.0, 4.4
	p.need(h)
	p.f.SetX(margin)
	p.font("", 8)
	p.color(colMuted)
	p.cell(lw, h, label, "L", false)
	p.font("", 9)
	p.color(colText)
	lines := p.wrap(value, contentW-lw-2*pad)
	for i, line := range lines {
		if i > 0 {
			p.need(h)
		}
		p.f.SetX(margin + lw)
		p.cell(contentW-lw, h, line, "L", false)
		p.f.Ln(h)
	}
}

// section draws one migration.
func (p *pdfDoc) section(m Migration) {
	f := p.f
	p.need(60)
	if f.GetY() > margin+1 {
		f.Ln(5)
	}
	y := f.GetY()
	p.fill(colBand)
	f.Rect(margin, y, contentW, 10, "F")
	f.SetXY(margin+1, y+1.5)
	p.font("B", 13)
	p.color(colText)
	p.cell(contentW*0.68, 7, fmt.Sprintf("#%d  %s", m.ID, m.Domain), "L", false)
	p.font("B", 9)
	st := m.Status
	switch st {
	case "successful", "":
		p.color(colOK)
		st = "Successful"
	default:
		p.color(colBad)
		st = strings.ToUpper(st[:1]) + st[1:]
	}
	p.cell(contentW*0.32-2, 7, st, "R", false)
	f.SetXY(margin, y+12)

	owner := m.User.Name
	if m.User.Email != "" {
		owner += " <" + m.User.Email + ">"
	}
	p.kv("Owner", owner)
	p.kv("Service", m.Service)
	p.kv("Method", methodName(m.Method))
	p.kv("Source", m.Source.Summary())
	p.kv("Destination", m.Destination.Summary())
	p.kv("Site URL", m.OldURL+" → "+m.NewURL)
	p.kv("Started", p.stamp(m.StartedAt))
	p.kv("Completed", p.stamp(m.CompletedAt))
	p.kv("Duration", humanDuration(m.Duration))
	if m.WordPressVersion != "" {
		p.kv("WordPress", m.WordPressVersion)
	}

	p.heading("Moved")
	files := func(t Transfer) string {
		if t.Files == 0 && t.Bytes == 0 {
			return "—"
		}
		return fmt.Sprintf("%s files · %s", thousands(t.Files), humanBytes(t.Bytes))
	}
	db := func(d Database) string {
		if d.Tables == 0 && d.Rows == 0 {
			return "—"
		}
		return fmt.Sprintf("%d tables · %s rows · %s", d.Tables, thousands(d.Rows), humanBytes(d.Bytes))
	}
	p.table([]column{{"Files downloaded", 40, "L"}, {"Files uploaded", 40, "L"}, {"Database exported", 50, "L"}, {"Database imported", 50, "L"}},
		[][]string{{files(m.Download), files(m.Upload), db(m.Export), db(m.Import)}}, nil)

	p.heading("Steps")
	var steps [][]string
	for _, s := range m.Steps {
		dur := "—"
		if !s.StartedAt.IsZero() && !s.FinishedAt.IsZero() {
			dur = humanDuration(s.Duration)
		}
		steps = append(steps, []string{strconv.Itoa(s.Number), s.Title, stateName(s.State), p.stamp(s.StartedAt), dur})
	}
	p.table([]column{{"#", 8, "R"}, {"Step", 62, "L"}, {"State", 32, "L"}, {"Started", 50, "L"}, {"Duration", 28, "R"}}, steps,
		func(r, c int) [3]int {
			if c != 2 {
				return colText
			}
			switch m.Steps[r].State {
			case "completed":
				return colOK
			case "failed", "action_required":
				return colBad
			}
			return colMuted
		})
	for _, s := range m.Steps {
		if s.Error != "" {
			p.font("", 8)
			p.color(colBad)
			p.para(margin, contentW, 4.2, fmt.Sprintf("%s: %s", s.Title, s.Error))
		}
	}

	p.heading("URL replacements")
	p.font("", 9)
	p.color(colText)
	summary := fmt.Sprintf("%s replacements in %s values", thousands(m.Replacements.Total), thousands(m.Replacements.Values))
	if m.Replacements.Broken > 0 {
		summary += fmt.Sprintf(" · %s serialized values were already damaged and copied unchanged", thousands(m.Replacements.Broken))
	}
	p.para(margin, contentW, 4.8, summary)
	for _, e := range m.Replacements.Extras {
		p.para(margin, contentW, 4.8, fmt.Sprintf("Extra replacement %s → %s: %s", e.Find, e.Replace, thousands(e.Replacements)))
	}
	if len(m.Replacements.Columns) > 0 {
		perTable := map[string]int64{}
		for _, c := range m.Replacements.Columns {
			perTable[c.Table] += c.Replacements
		}
		var rows [][]string
		last := ""
		for _, c := range m.Replacements.Columns {
			table := ""
			if c.Table != last {
				table = fmt.Sprintf("%s (%s)", c.Table, thousands(perTable[c.Table]))
				last = c.Table
			}
			rows = append(rows, []string{table, c.Column, thousands(c.Values), thousands(c.Replacements)})
		}
		p.table([]column{{"Table (replacements)", 70, "L"}, {"Column", 50, "L"}, {"Values changed", 30, "R"}, {"Replacements", 30, "R"}}, rows, nil)
	}

	p.heading("Validation")
	if len(m.Validation) == 0 {
		p.font("", 9)
		p.color(colMuted)
		p.para(margin, contentW, 4.8, "No checks were recorded.")
	}
	for _, c := range m.Validation {
		const h = 4.8
		p.need(h)
		p.f.SetX(margin)
		p.font("B", 9)
		mark, col := "✓", colOK
		if !c.OK {
			mark, col = "✗", colBad
		}
		p.color(col)
		p.cell(6, h, mark, "C", false)
		p.color(colText)
		p.cell(38, h, c.Title(), "L", false)
		p.font("", 9)
		if !c.OK {
			p.color(colBad)
		}
		for i, line := range p.wrap(c.Message, contentW-44-2*pad) {
			if i > 0 {
				p.need(h)
			}
			p.f.SetX(margin + 44)
			p.cell(contentW-44, h, line, "L", false)
			p.f.Ln(h)
		}
	}

	p.heading("Warnings")
	p.font("", 9)
	if len(m.Warnings) == 0 {
		p.color(colMuted)
		p.para(margin, contentW, 4.8, "None.")
	}
	for _, w := range m.Warnings {
		p.color(colWarn)
		p.para(margin, contentW, 4.8, "• "+w)
	}
	p.color(colText)
}

func methodName(m string) string {
	switch m {
	case "ftp", "sftp":
		return strings.ToUpper(m)
	case "manual":
		return "Manual (uploaded zip and SQL dump)"
	}
	return m
}

func stateName(s string) string {
	switch s {
	case "not_started":
		return "Not started"
	case "action_required":
		return "Action required"
	case "":
		return "—"
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return thousands(int64(n)) + " " + many
}
