package web

import "unicode/utf8"

// Charts are drawn as SVG by the templates from geometry worked out here,
// with presentation attributes only (the CSP allows no inline style). A
// chart is an image with a title and a description; the table beside it
// holds the same figures for anyone who cannot see it.

// NHS colours with enough contrast against white for graphics (WCAG
// 1.4.11 asks 3:1) and for text (4.5:1).
const (
	colourBlue   = "#005eb8"
	colourPurple = "#330072"
	colourText   = "#212b32"
)

// BarChart is a horizontal bar chart, one row per bar; a bar may have
// segments (stacked), each with its colour and a legend entry.
type BarChart struct {
	ID, Title, Desc string
	Width, Height   int
	Rows            []BarRow
	Legend          []LegendItem
}

// BarRow is one labelled bar.
type BarRow struct {
	Label    string
	Value    string // written after the bar
	LabelY   int    // baseline of the label and value
	Y, H     int    // the bar's band
	ValueX   int
	Segments []Segment
}

// Segment is one coloured part of a bar.
type Segment struct {
	X, W   int
	Colour string
}

// LegendItem explains a colour.
type LegendItem struct {
	X, Y   int
	Colour string
	Label  string
}

const (
	chartLabelWidth = 200
	chartBarWidth   = 360
	chartRow        = 36
	chartBar        = 22
)

// barPart is one segment's value; a hidden value draws nothing.
type barPart struct {
	v      float64
	hidden bool
}

// newBarChart lays out rows of stacked parts against the largest total.
func newBarChart(id, title, desc string, labels, values []string, parts [][]barPart, colours, legend []string) BarChart {
	// Room after the longest bar for the longest value, at about 9 units a
	// character of the chart's type, so that no value is cut off.
	room := 80
	for _, v := range values {
		room = max(room, 12+9*utf8.RuneCountInString(v))
	}
	c := BarChart{ID: id, Title: title, Desc: desc, Width: chartLabelWidth + chartBarWidth + room}
	maxTotal := 0.0
	for _, ps := range parts {
		total := 0.0
		for _, p := range ps {
			if !p.hidden {
				total += p.v
			}
		}
		maxTotal = max(maxTotal, total)
	}
	top := 0
	if len(legend) > 0 {
		x := chartLabelWidth
		for i, l := range legend {
			c.Legend = append(c.Legend, LegendItem{X: x, Y: 8, Colour: colours[i], Label: l})
			x += 24 + 9*len(l) + 24
		}
		top = 36
	}
	for i, ps := range parts {
		y := top + i*chartRow
		row := BarRow{Label: labels[i], Value: values[i], Y: y + (chartRow-chartBar)/2, H: chartBar, LabelY: y + chartRow/2 + 6}
		x := chartLabelWidth
		for j, p := range ps {
			if p.hidden || p.v <= 0 || maxTotal == 0 {
				continue
			}
			w := max(1, int(p.v/maxTotal*chartBarWidth+0.5))
			row.Segments = append(row.Segments, Segment{X: x, W: w, Colour: colours[j]})
			x += w + 2 // a white gap keeps neighbouring colours apart
		}
		row.ValueX = x + 6
		c.Rows = append(c.Rows, row)
	}
	c.Height = top + len(parts)*chartRow + 4
	return c
}

// countBars is a chart of single counts.
func countBars(id, title, desc string, labels []string, counts []Count) BarChart {
	values := make([]string, len(counts))
	parts := make([][]barPart, len(counts))
	for i, c := range counts {
		values[i] = c.String()
		parts[i] = []barPart{{v: float64(c.N), hidden: c.Hidden}}
	}
	return newBarChart(id, title, desc, labels, values, parts, []string{colourBlue}, nil)
}
