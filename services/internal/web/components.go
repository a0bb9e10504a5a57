package web

import (
	"html/template"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The parameters of the components mirror the options of nhsuk-frontend's
// Nunjucks macros, with the same names in their JSON tags, so that a page
// reads like nhsuk's documentation and the package's own examples
// (fixtures.json) can be rendered in the tests. Only the options together
// uses are implemented; each component's template says which.

// Content is a component's text, or trusted HTML in its place. HTML wins
// when both are set, as in nhsuk's macros. HTML must never hold anything a
// person typed: it is for markup built by this package.
type Content struct {
	Text string        `json:"text,omitempty"`
	HTML template.HTML `json:"html,omitempty"`
}

// Empty reports whether there is neither text nor HTML.
func (c Content) Empty() bool { return c.Text == "" && c.HTML == "" }

// Attributes are extra HTML attributes, written in name order. Names that
// are not plain lower-case words, event handlers and style are dropped:
// nothing here may carry script or inline style.
type Attributes map[string]string

var attrName = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// attrs writes a as HTML attributes, each with a leading space.
func attrs(a Attributes) template.HTMLAttr {
	names := make([]string, 0, len(a))
	for n := range a {
		if attrName.MatchString(n) && !strings.HasPrefix(n, "on") && n != "style" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(" " + n + `="` + template.HTMLEscapeString(a[n]) + `"`)
	}
	return template.HTMLAttr(b.String())
}

// join joins non-empty class names with spaces.
func join(classes ...string) string {
	var out []string
	for _, c := range classes {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return strings.Join(out, " ")
}

// modifier returns prefix+value if value is one of allowed and classes
// does not already set one of them, as nhsuk's macros decide a size or
// colour class.
func modifier(prefix, value, classes string, allowed ...string) string {
	if value == "" || !slices.Contains(allowed, value) {
		return ""
	}
	for _, a := range allowed {
		if strings.Contains(classes, prefix+a) {
			return ""
		}
	}
	return prefix + value
}

// Tag is nhsuk's tag: a short status word, such as a RAG rating.
type Tag struct {
	Content
	ID         string     `json:"id,omitempty"`
	Colour     string     `json:"colour,omitempty"`
	Classes    string     `json:"classes,omitempty"`
	Attributes Attributes `json:"attributes,omitempty"`
}

// ClassNames returns the tag's classes.
func (t Tag) ClassNames() string {
	return join("nhsuk-tag", modifier("nhsuk-tag--", t.Colour, t.Classes,
		"white", "grey", "green", "aqua-green", "blue", "purple", "pink", "red", "orange", "yellow"), t.Classes)
}

// Caption is a table caption.
type Caption struct {
	Content
	Size    string `json:"size,omitempty"`
	Classes string `json:"classes,omitempty"`
}

// Table is nhsuk's table: a caption, column headers and rows, optionally
// responsive (each cell repeats its header on narrow screens).
type Table struct {
	ID                string        `json:"id,omitempty"`
	Caption           *Caption      `json:"caption,omitempty"`
	CaptionSize       string        `json:"captionSize,omitempty"`
	FirstCellIsHeader bool          `json:"firstCellIsHeader,omitempty"`
	Head              []TableCell   `json:"head,omitempty"`
	Rows              [][]TableCell `json:"rows,omitempty"`
	Responsive        bool          `json:"responsive,omitempty"`
	Classes           string        `json:"classes,omitempty"`
	Attributes        Attributes    `json:"attributes,omitempty"`
}

// TableCell is a header or data cell.
type TableCell struct {
	Content
	Format     string     `json:"format,omitempty"`
	Classes    string     `json:"classes,omitempty"`
	Colspan    int        `json:"colspan,omitempty"`
	Rowspan    int        `json:"rowspan,omitempty"`
	Attributes Attributes `json:"attributes,omitempty"`
}

// ClassNames returns the table's classes.
func (t Table) ClassNames() string {
	c := "nhsuk-table"
	if t.Responsive && !strings.Contains(t.Classes, "nhsuk-table--responsive") {
		c += " nhsuk-table--responsive"
	}
	return join(c, t.Classes)
}

// CaptionClassNames returns the caption's classes.
func (t Table) CaptionClassNames() string {
	size := t.Caption.Size
	if size == "" {
		size = t.CaptionSize
	}
	return join("nhsuk-table__caption", modifier("nhsuk-table__caption--", size, t.Caption.Classes, "s", "m", "l", "xl"), t.Caption.Classes)
}

// HeaderOf returns the column header above column i, if any.
func (t Table) HeaderOf(i int) TableCell {
	if i < len(t.Head) {
		return t.Head[i]
	}
	return TableCell{}
}

// cellClasses returns the classes of a cell: base is
// nhsuk-table__header or nhsuk-table__cell.
func cellClasses(base string, c TableCell, format string) string {
	f := ""
	if format == "numeric" && !strings.Contains(c.Classes, base+"--numeric") {
		f = base + "--numeric"
	}
	return join(base, f, c.Classes)
}

// HeadClassNames returns the classes of a column header.
func (c TableCell) HeadClassNames() string { return cellClasses("nhsuk-table__header", c, c.Format) }

// RowClassNames returns the classes of a data cell in column i; a cell
// takes its column's format unless it has its own.
func (t Table) RowClassNames(c TableCell, i int, header bool) string {
	base := "nhsuk-table__cell"
	if header {
		base = "nhsuk-table__header"
	}
	format := c.Format
	if format == "" {
		format = t.HeaderOf(i).Format
	}
	cls := cellClasses(base, c, format)
	if c.Format == "string" && t.HeaderOf(i).Format == "numeric" && !strings.Contains(c.Classes, "nhsuk-u-text-align-") {
		// Words in a column of numbers still line up with the numbers.
		cls = join(base, "nhsuk-u-text-align-right", c.Classes)
	}
	return cls
}

// SummaryList is nhsuk's summary list: keys and values, with optional
// actions.
type SummaryList struct {
	ID string `json:"id,omitempty"`
	// LastRowBorder false leaves out the last row's border, as in a card.
	LastRowBorder *bool        `json:"lastRowBorder,omitempty"`
	Rows          []SummaryRow `json:"rows,omitempty"`
	Classes       string       `json:"classes,omitempty"`
	Attributes    Attributes   `json:"attributes,omitempty"`
}

// SummaryRow is one key and its value.
type SummaryRow struct {
	Key     SummaryCell     `json:"key"`
	Value   SummaryCell     `json:"value"`
	Actions *SummaryActions `json:"actions,omitempty"`
	Classes string          `json:"classes,omitempty"`
}

// SummaryCell is a key or a value; Width is an nhsuk width such as
// one-half.
type SummaryCell struct {
	Content
	Width   string `json:"width,omitempty"`
	Classes string `json:"classes,omitempty"`
}

// ClassNames returns the cell's classes; base is its nhsuk class.
func (c SummaryCell) ClassNames(base string) string {
	w := ""
	if c.Width != "" && !strings.Contains(c.Classes, "nhsuk-u-width-"+c.Width) {
		w = "nhsuk-u-width-" + c.Width
	}
	return join(base, w, c.Classes)
}

// ClassNames returns the list's classes.
func (s SummaryList) ClassNames() string {
	b := ""
	if s.LastRowBorder != nil && !*s.LastRowBorder && !strings.Contains(s.Classes, "nhsuk-summary-list--no-last-row-border") {
		b = "nhsuk-summary-list--no-last-row-border"
	}
	return join("nhsuk-summary-list", b, s.Classes)
}

// SummaryActions are the links of a row.
type SummaryActions struct {
	Items   []Action `json:"items,omitempty"`
	Classes string   `json:"classes,omitempty"`
}

// Action is a link that acts on a row, such as "Change".
type Action struct {
	Content
	Href               string `json:"href,omitempty"`
	VisuallyHiddenText string `json:"visuallyHiddenText,omitempty"`
	Classes            string `json:"classes,omitempty"`
}

// HasActions reports whether any row has an action: rows without one then
// say so, to keep the columns aligned.
func (s SummaryList) HasActions() bool {
	for _, r := range s.Rows {
		if r.Actions != nil && len(r.Actions.Items) > 0 {
			return true
		}
	}
	return false
}

// ErrorSummary is nhsuk's error summary: the problems on a form, each
// linking to its field. nhsuk's script moves focus to it; without the
// script the links still work.
type ErrorSummary struct {
	ID string `json:"id,omitempty"`
	// Heading, or TitleText (nhsuk's older name), says there is a problem.
	Heading          *Content    `json:"heading,omitempty"`
	TitleText        string      `json:"titleText,omitempty"`
	DescriptionText  string      `json:"descriptionText,omitempty"`
	ErrorList        []ErrorLink `json:"errorList,omitempty"`
	DisableAutoFocus *bool       `json:"disableAutoFocus,omitempty"`
	Classes          string      `json:"classes,omitempty"`
}

// Title returns the summary's heading.
func (e ErrorSummary) Title() Content {
	if e.Heading != nil && !e.Heading.Empty() {
		return *e.Heading
	}
	return Content{Text: e.TitleText}
}

// ErrorLink is one problem and the field it is about.
type ErrorLink struct {
	Content
	Href string `json:"href,omitempty"`
}

// Label is a form field's label. With Heading (or IsPageHeading, nhsuk's
// older name for a level 1 heading) the label is also a heading: the
// question that is the page's h1.
type Label struct {
	Content
	ID            string   `json:"id,omitempty"`
	For           string   `json:"for,omitempty"`
	Size          string   `json:"size,omitempty"`
	Heading       *Heading `json:"heading,omitempty"`
	IsPageHeading *bool    `json:"isPageHeading,omitempty"`
	Classes       string   `json:"classes,omitempty"`
}

// Heading makes a label or legend a heading: Level 1 unless set, and Text
// in place of the label's own if set.
type Heading struct {
	Text  string `json:"text,omitempty"`
	Level int    `json:"level,omitempty"`
}

// headingLevel returns the heading level, or 0 for none: IsPageHeading
// false turns a heading off, true turns a level 1 heading on.
func headingLevel(h *Heading, isPageHeading *bool) int {
	switch {
	case isPageHeading != nil && !*isPageHeading:
		return 0
	case h != nil && h.Level > 0:
		return h.Level
	case h != nil || isPageHeading != nil && *isPageHeading:
		return 1
	}
	return 0
}

// headingBody returns c, or the heading's text in its place.
func headingBody(c Content, h *Heading, level int) Content {
	if h != nil && h.Text != "" && (level > 0 || c.Empty()) {
		return Content{Text: h.Text}
	}
	return c
}

// HeadingLevel returns the level of the heading wrapping the label, or 0.
func (l Label) HeadingLevel() int { return headingLevel(l.Heading, l.IsPageHeading) }

// Body returns what the label says.
func (l Label) Body() Content { return headingBody(l.Content, l.Heading, l.HeadingLevel()) }

// ClassNames returns the label's classes.
func (l Label) ClassNames() string {
	return join("nhsuk-label", modifier("nhsuk-label--", l.Size, l.Classes, "s", "m", "l", "xl"), l.Classes)
}

// Hint is a form field's hint.
type Hint struct {
	Content
	ID         string     `json:"id,omitempty"`
	Classes    string     `json:"classes,omitempty"`
	Attributes Attributes `json:"attributes,omitempty"`
}

// ErrorMessage is the message under a field that is wrong.
type ErrorMessage struct {
	Content
	ID      string `json:"id,omitempty"`
	Classes string `json:"classes,omitempty"`
	// VisuallyHiddenText prefixes the message for screen readers; nil is
	// "Error", "" none.
	VisuallyHiddenText *string `json:"visuallyHiddenText,omitempty"`
}

// Prefix returns the visually hidden prefix.
func (e ErrorMessage) Prefix() string {
	if e.VisuallyHiddenText == nil {
		return "Error"
	}
	return *e.VisuallyHiddenText
}

// FormGroup holds options of the field's wrapper.
type FormGroup struct {
	Classes string `json:"classes,omitempty"`
}

// field is what every form field shares: its id (the name if unset),
// label, hint and error, and the ids they give aria-describedby.
type field struct {
	ID           string        `json:"id,omitempty"`
	Name         string        `json:"name,omitempty"`
	Label        Label         `json:"label"`
	Hint         *Hint         `json:"hint,omitempty"`
	ErrorMessage *ErrorMessage `json:"errorMessage,omitempty"`
	DescribedBy  string        `json:"describedBy,omitempty"`
	FormGroup    *FormGroup    `json:"formGroup,omitempty"`
	Disabled     bool          `json:"disabled,omitempty"`
	Autocomplete string        `json:"autocomplete,omitempty"`
	Attributes   Attributes    `json:"attributes,omitempty"`
	Classes      string        `json:"classes,omitempty"`
}

// FieldID returns the id of the control.
func (f field) FieldID() string {
	if f.ID != "" {
		return f.ID
	}
	return f.Name
}

// LabelFor returns the label with its for attribute set.
func (f field) LabelFor() Label {
	l := f.Label
	if l.For == "" {
		l.For = f.FieldID()
	}
	return l
}

// HintOf returns the hint with its id set, or nil.
func (f field) HintOf() *Hint { return hintOf(f.Hint, f.FieldID()) }

// ErrorOf returns the error message with its id set, or nil.
func (f field) ErrorOf() *ErrorMessage { return errorOf(f.ErrorMessage, f.FieldID()) }

// AriaDescribedBy returns the ids describing the control.
func (f field) AriaDescribedBy() string {
	return describedBy(f.DescribedBy, f.HintOf(), f.ErrorOf())
}

// GroupClassNames returns the classes of the field's form group.
func (f field) GroupClassNames() string { return groupClasses(f.ErrorMessage, f.FormGroup) }

// GroupClassNames returns the classes of the input's form group.
func (i Input) GroupClassNames() string {
	c := i.field.GroupClassNames()
	if i.Error && !strings.Contains(c, "nhsuk-form-group--error") {
		c = strings.Replace(c, "nhsuk-form-group", "nhsuk-form-group nhsuk-form-group--error", 1)
	}
	return c
}

func hintOf(h *Hint, id string) *Hint {
	if h == nil || h.Empty() {
		return nil
	}
	out := *h
	if out.ID == "" {
		out.ID = id + "-hint"
	}
	return &out
}

func errorOf(e *ErrorMessage, id string) *ErrorMessage {
	if e == nil || e.Empty() {
		return nil
	}
	out := *e
	if out.ID == "" {
		out.ID = id + "-error"
	}
	return &out
}

func describedBy(base string, h *Hint, e *ErrorMessage) string {
	ids := []string{base}
	if h != nil {
		ids = append(ids, h.ID)
	}
	if e != nil {
		ids = append(ids, e.ID)
	}
	return join(ids...)
}

func groupClasses(e *ErrorMessage, g *FormGroup) string {
	c := "nhsuk-form-group"
	if e != nil && !e.Empty() {
		c += " nhsuk-form-group--error"
	}
	if g != nil {
		c = join(c, g.Classes)
	}
	return c
}

// Input is nhsuk's text input with its label, hint and error.
type Input struct {
	field
	// Error marks the input as wrong without a message of its own, as
	// the boxes of a date input whose message is the group's.
	Error          bool   `json:"-"`
	Type           string `json:"type,omitempty"`
	Value          string `json:"value,omitempty"`
	Width          int    `json:"width,omitempty"`
	Inputmode      string `json:"inputmode,omitempty"`
	Spellcheck     *bool  `json:"spellcheck,omitempty"`
	Autocapitalize string `json:"autocapitalize,omitempty"`
	Pattern        string `json:"pattern,omitempty"`
	Placeholder    string `json:"placeholder,omitempty"`
}

// InputType returns the input's type, text by default.
func (i Input) InputType() string {
	if i.Type == "" {
		return "text"
	}
	return i.Type
}

// ClassNames returns the input's classes.
func (i Input) ClassNames() string {
	c := "nhsuk-input"
	if i.Error || i.ErrorMessage != nil && !i.ErrorMessage.Empty() {
		c += " nhsuk-input--error"
	}
	return join(c, modifier("nhsuk-input--width-", strconv.Itoa(i.Width), i.Classes, "2", "3", "4", "5", "10", "20", "30"), i.Classes)
}

// Textarea is nhsuk's textarea with its label, hint and error.
type Textarea struct {
	field
	Rows       int    `json:"rows,omitempty"`
	Value      string `json:"value,omitempty"`
	Spellcheck *bool  `json:"spellcheck,omitempty"`
}

// RowCount returns the rows, 5 by default.
func (t Textarea) RowCount() int {
	if t.Rows == 0 {
		return 5
	}
	return t.Rows
}

// ClassNames returns the textarea's classes.
func (t Textarea) ClassNames() string {
	c := "nhsuk-textarea"
	if t.ErrorMessage != nil && !t.ErrorMessage.Empty() {
		c += " nhsuk-textarea--error"
	}
	return join(c, t.Classes)
}

// Select is nhsuk's select with its label, hint and error.
type Select struct {
	field
	Items []SelectItem `json:"items,omitempty"`
	Value string       `json:"value,omitempty"`
}

// SelectItem is one option; a nil Value leaves the attribute out, and the
// option's value is then its text.
type SelectItem struct {
	Value    *string `json:"value,omitempty"`
	Text     string  `json:"text,omitempty"`
	Selected *bool   `json:"selected,omitempty"`
	Disabled bool    `json:"disabled,omitempty"`
}

// IsSelected reports whether the item is selected: explicitly, or because
// its value is the select's.
func (s Select) IsSelected(it SelectItem) bool {
	if it.Selected != nil {
		return *it.Selected
	}
	v := it.Text
	if it.Value != nil {
		v = *it.Value
	}
	return s.Value != "" && v == s.Value
}

// ClassNames returns the select's classes.
func (s Select) ClassNames() string {
	c := "nhsuk-select"
	if s.ErrorMessage != nil && !s.ErrorMessage.Empty() {
		c += " nhsuk-select--error"
	}
	return join(c, s.Classes)
}

// Fieldset groups fields under a legend.
type Fieldset struct {
	ID          string  `json:"id,omitempty"`
	Legend      *Legend `json:"legend,omitempty"`
	Classes     string  `json:"classes,omitempty"`
	Role        string  `json:"role,omitempty"`
	DescribedBy string  `json:"describedBy,omitempty"`
	// HTML is the fieldset's content.
	HTML template.HTML `json:"html,omitempty"`
}

// Legend is a fieldset's legend; with Heading (or IsPageHeading) it holds
// a heading, usually the page's h1.
type Legend struct {
	Content
	Size          string   `json:"size,omitempty"`
	Heading       *Heading `json:"heading,omitempty"`
	IsPageHeading *bool    `json:"isPageHeading,omitempty"`
	Classes       string   `json:"classes,omitempty"`
}

// HeadingLevel returns the level of the heading in the legend, or 0.
func (l Legend) HeadingLevel() int { return headingLevel(l.Heading, l.IsPageHeading) }

// Body returns what the legend says.
func (l Legend) Body() Content { return headingBody(l.Content, l.Heading, l.HeadingLevel()) }

// ClassNames returns the legend's classes.
func (l Legend) ClassNames() string {
	return join("nhsuk-fieldset__legend", modifier("nhsuk-fieldset__legend--", l.Size, l.Classes, "s", "m", "l", "xl"), l.Classes)
}

// Choices is nhsuk's checkboxes or radios, in a fieldset.
type Choices struct {
	IDPrefix     string        `json:"idPrefix,omitempty"`
	Name         string        `json:"name,omitempty"`
	Items        []ChoiceItem  `json:"items,omitempty"`
	Fieldset     *Fieldset     `json:"fieldset,omitempty"`
	Hint         *Hint         `json:"hint,omitempty"`
	ErrorMessage *ErrorMessage `json:"errorMessage,omitempty"`
	FormGroup    *FormGroup    `json:"formGroup,omitempty"`
	Classes      string        `json:"classes,omitempty"`
	Inline       bool          `json:"inline,omitempty"`
	Small        bool          `json:"small,omitempty"`
	// Values are the checked checkboxes; Value the chosen radio.
	Values []string `json:"values,omitempty"`
	Value  string   `json:"value,omitempty"`
	// Radio makes them radios rather than checkboxes.
	Radio bool `json:"-"`
}

// ChoiceItem is one checkbox or radio.
type ChoiceItem struct {
	Content
	ID       string `json:"id,omitempty"`
	Value    string `json:"value,omitempty"`
	Hint     *Hint  `json:"hint,omitempty"`
	Checked  *bool  `json:"checked,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
	Divider  string `json:"divider,omitempty"`
}

// Kind returns "checkboxes" or "radios", nhsuk's class stem.
func (c Choices) Kind() string {
	if c.Radio {
		return "radios"
	}
	return "checkboxes"
}

// InputType returns "checkbox" or "radio".
func (c Choices) InputType() string {
	if c.Radio {
		return "radio"
	}
	return "checkbox"
}

func (c Choices) idPrefix() string {
	if c.IDPrefix != "" {
		return c.IDPrefix
	}
	return c.Name
}

// ClassNames returns the classes of the item list.
func (c Choices) ClassNames() string {
	k := "nhsuk-" + c.Kind()
	s := k
	if c.Small && !strings.Contains(c.Classes, k+"--small") {
		s += " " + k + "--small"
	}
	if c.Inline && !strings.Contains(c.Classes, k+"--inline") {
		s += " " + k + "--inline"
	}
	return join(s, c.Classes)
}

// GroupClassNames returns the classes of the form group.
func (c Choices) GroupClassNames() string { return groupClasses(c.ErrorMessage, c.FormGroup) }

// HintOf returns the hint with its id set, or nil.
func (c Choices) HintOf() *Hint { return hintOf(c.Hint, c.idPrefix()) }

// ErrorOf returns the error message with its id set, or nil.
func (c Choices) ErrorOf() *ErrorMessage { return errorOf(c.ErrorMessage, c.idPrefix()) }

// AriaDescribedBy returns the ids describing the group.
func (c Choices) AriaDescribedBy() string {
	base := ""
	if c.Fieldset != nil {
		base = c.Fieldset.DescribedBy
	}
	return describedBy(base, c.HintOf(), c.ErrorOf())
}

// ItemID returns the id of the i-th item (from 0): the first has the
// prefix alone, so that an error summary can link to it.
func (c Choices) ItemID(it ChoiceItem, i int) string {
	if it.ID != "" {
		return it.ID
	}
	if i == 0 {
		return c.idPrefix()
	}
	return c.idPrefix() + "-" + strconv.Itoa(i+1)
}

// ItemHint returns the item's hint with its id, or nil.
func (c Choices) ItemHint(it ChoiceItem, i int) *Hint {
	if it.Hint == nil || it.Hint.Empty() {
		return nil
	}
	h := *it.Hint
	if h.ID == "" {
		h.ID = c.ItemID(it, i) + "-item-hint"
	}
	return &h
}

// IsChecked reports whether an item is checked.
func (c Choices) IsChecked(it ChoiceItem) bool {
	if it.Checked != nil {
		return *it.Checked
	}
	if c.Radio {
		return c.Value != "" && it.Value == c.Value
	}
	return slices.Contains(c.Values, it.Value)
}

// DateInput is nhsuk's date input: day, month and year boxes.
type DateInput struct {
	ID           string        `json:"id,omitempty"`
	NamePrefix   string        `json:"namePrefix,omitempty"`
	Items        []DateItem    `json:"items,omitempty"`
	Fieldset     *Fieldset     `json:"fieldset,omitempty"`
	Hint         *Hint         `json:"hint,omitempty"`
	ErrorMessage *ErrorMessage `json:"errorMessage,omitempty"`
	FormGroup    *FormGroup    `json:"formGroup,omitempty"`
	Classes      string        `json:"classes,omitempty"`
	Values       *DateValues   `json:"values,omitempty"`
}

// DateValues are what was typed in each box.
type DateValues struct {
	Day   string `json:"day,omitempty"`
	Month string `json:"month,omitempty"`
	Year  string `json:"year,omitempty"`
}

// DateItem is one box.
type DateItem struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Value   string `json:"value,omitempty"`
	Width   int    `json:"width,omitempty"`
	Classes string `json:"classes,omitempty"`
}

// Inputs returns the boxes as inputs, each with its label.
func (d DateInput) Inputs() []Input {
	items := d.Items
	if len(items) == 0 {
		items = []DateItem{{Name: "day", Width: 2}, {Name: "month", Width: 2}, {Name: "year", Width: 4}}
	}
	hasError := d.ErrorMessage != nil && !d.ErrorMessage.Empty()
	for _, it := range items {
		if strings.Contains(it.Classes, "nhsuk-input--error") {
			hasError = false // the items say which are wrong
		}
	}
	out := make([]Input, len(items))
	for i, it := range items {
		value := it.Value
		if value == "" && d.Values != nil {
			value = map[string]string{"day": d.Values.Day, "month": d.Values.Month, "year": d.Values.Year}[it.Name]
		}
		width := it.Width
		if width == 0 {
			width = 2
			if it.Name == "year" {
				width = 4
			}
		}
		id := it.ID
		if id == "" {
			id = d.ID + "-" + it.Name
		}
		name := it.Name
		if d.NamePrefix != "" {
			name = d.NamePrefix + "[" + it.Name + "]"
		}
		in := Input{Value: value, Width: width, Inputmode: "numeric", Error: hasError}
		in.ID, in.Name, in.Classes = id, name, join("nhsuk-date-input__input", it.Classes)
		in.Label = Label{Content: Content{Text: capitalise(it.Name)}, Classes: "nhsuk-date-input__label"}
		out[i] = in
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}

// GroupClassNames returns the classes of the form group.
func (d DateInput) GroupClassNames() string {
	c := groupClasses(d.ErrorMessage, d.FormGroup)
	for _, it := range d.Items {
		if strings.Contains(it.Classes, "nhsuk-input--error") && !strings.Contains(c, "nhsuk-form-group--error") {
			c = strings.Replace(c, "nhsuk-form-group", "nhsuk-form-group nhsuk-form-group--error", 1)
		}
	}
	return c
}

// HintOf returns the hint with its id set, or nil.
func (d DateInput) HintOf() *Hint { return hintOf(d.Hint, d.ID) }

// ErrorOf returns the error message with its id set, or nil.
func (d DateInput) ErrorOf() *ErrorMessage { return errorOf(d.ErrorMessage, d.ID) }

// AriaDescribedBy returns the ids describing the group.
func (d DateInput) AriaDescribedBy() string {
	base := ""
	if d.Fieldset != nil {
		base = d.Fieldset.DescribedBy
	}
	return describedBy(base, d.HintOf(), d.ErrorOf())
}

// FieldsetRole returns the fieldset's role, group by default: without it
// some screen readers do not announce the hint of text inputs.
func (d DateInput) FieldsetRole() string {
	if d.Fieldset != nil && d.Fieldset.Role != "" {
		return d.Fieldset.Role
	}
	return "group"
}

// Button is nhsuk's button, or a link styled as one when Href is set.
type Button struct {
	Content
	ID                 string     `json:"id,omitempty"`
	Name               string     `json:"name,omitempty"`
	Value              string     `json:"value,omitempty"`
	Type               string     `json:"type,omitempty"`
	Href               string     `json:"href,omitempty"`
	Variant            string     `json:"variant,omitempty"`
	Small              bool       `json:"small,omitempty"`
	Disabled           bool       `json:"disabled,omitempty"`
	PreventDoubleClick *bool      `json:"preventDoubleClick,omitempty"`
	Classes            string     `json:"classes,omitempty"`
	Attributes         Attributes `json:"attributes,omitempty"`
}

// IsLink reports whether the button is a link.
func (b Button) IsLink() bool { return b.Href != "" && b.Type == "" }

// ButtonType returns the button's type, submit by default.
func (b Button) ButtonType() string {
	if b.Type == "" {
		return "submit"
	}
	return b.Type
}

// ClassNames returns the button's classes.
func (b Button) ClassNames() string {
	c := join("nhsuk-button", modifier("nhsuk-button--", b.Variant, b.Classes, "brand", "login", "reverse", "secondary", "secondary-solid", "warning"))
	if b.Small && !strings.Contains(b.Classes, "nhsuk-button--small") {
		c += " nhsuk-button--small"
	}
	return join(c, b.Classes)
}

// BackLink is nhsuk's back link.
type BackLink struct {
	Content
	ID                 string `json:"id,omitempty"`
	Href               string `json:"href,omitempty"`
	Type               string `json:"type,omitempty"`
	Variant            string `json:"variant,omitempty"`
	VisuallyHiddenText string `json:"visuallyHiddenText,omitempty"`
	Classes            string `json:"classes,omitempty"`
}

// IsLink reports whether the back link is a link rather than a button.
func (b BackLink) IsLink() bool { return b.Href != "" && b.Type == "" }

// Label returns the link's text content, "Back" by default.
func (b BackLink) Label() Content {
	if b.Empty() {
		return Content{Text: "Back"}
	}
	return b.Content
}

// ClassNames returns the back link's classes.
func (b BackLink) ClassNames() string {
	v := ""
	if b.Variant == "reverse" && !strings.Contains(b.Classes, "nhsuk-back-link--reverse") {
		v = "nhsuk-back-link--reverse"
	}
	return join("nhsuk-back-link", v, b.Classes)
}

// InsetText is nhsuk's inset text.
type InsetText struct {
	Content
	ID                 string `json:"id,omitempty"`
	VisuallyHiddenText string `json:"visuallyHiddenText,omitempty"`
	Classes            string `json:"classes,omitempty"`
}

// Prefix returns the visually hidden prefix, "Information" by default.
func (i InsetText) Prefix() string {
	if i.VisuallyHiddenText == "" {
		return "Information"
	}
	return i.VisuallyHiddenText
}

// Details is nhsuk's details: a summary that opens to more.
type Details struct {
	Content
	ID      string  `json:"id,omitempty"`
	Summary Content `json:"summary"`
	Open    bool    `json:"open,omitempty"`
	Variant string  `json:"variant,omitempty"`
	Classes string  `json:"classes,omitempty"`
}

// ClassNames returns the details' classes.
func (d Details) ClassNames() string {
	v := ""
	if d.Variant == "reverse" && !strings.Contains(d.Classes, "nhsuk-details--reverse") {
		v = "nhsuk-details--reverse"
	}
	return join("nhsuk-details", v, d.Classes)
}

// Card is nhsuk's card: a heading, a description and optional link.
type Card struct {
	ID          string       `json:"id,omitempty"`
	Heading     *CardHeading `json:"heading,omitempty"`
	Href        string       `json:"href,omitempty"`
	Description *Content     `json:"description,omitempty"`
	Variant     string       `json:"variant,omitempty"`
	Clickable   bool         `json:"clickable,omitempty"`
	Classes     string       `json:"classes,omitempty"`
}

// CardHeading is a card's heading.
type CardHeading struct {
	Content
	Level   int    `json:"level,omitempty"`
	Size    string `json:"size,omitempty"`
	Classes string `json:"classes,omitempty"`
}

// ClassNames returns the card's classes.
func (c Card) ClassNames() string {
	s := "nhsuk-card"
	if c.Clickable {
		s += " nhsuk-card--clickable"
	}
	return join(s, modifier("nhsuk-card--", c.Variant, c.Classes, "feature", "primary", "secondary", "warning"), c.Classes)
}

// HeadingLevel returns the heading's level, 2 by default.
func (c Card) HeadingLevel() int {
	if c.Heading == nil || c.Heading.Level == 0 {
		return 2
	}
	return c.Heading.Level
}

// HeadingClassNames returns the heading's classes.
func (c Card) HeadingClassNames() string {
	h := c.Heading
	return join("nhsuk-card__heading", modifier("nhsuk-heading-", h.Size, h.Classes, "xxs", "xs", "s", "m", "l", "xl"), h.Classes)
}

// LinkHeading reports whether the heading is the card's link.
func (c Card) LinkHeading() bool {
	return c.Href != "" && !strings.Contains(c.ClassNames(), "nhsuk-card--feature")
}

// Primary reports whether the card is a primary card, which ends with a
// chevron.
func (c Card) Primary() bool { return strings.Contains(c.ClassNames(), "nhsuk-card--primary") }

// Pagination is nhsuk's pagination: previous and next, or numbered pages.
type Pagination struct {
	ID        string     `json:"id,omitempty"`
	Previous  *PageLink  `json:"previous,omitempty"`
	Next      *PageLink  `json:"next,omitempty"`
	Items     []PageItem `json:"items,omitempty"`
	AriaLabel string     `json:"ariaLabel,omitempty"`
	Classes   string     `json:"classes,omitempty"`
}

// PageLink is the previous or next page.
type PageLink struct {
	Content
	Href string `json:"href,omitempty"`
	// Label names the page, such as its title.
	Label string `json:"label,omitempty"`
}

// PageItem is a numbered page, or an ellipsis.
type PageItem struct {
	Number   int    `json:"number,omitempty"`
	Href     string `json:"href,omitempty"`
	Current  bool   `json:"current,omitempty"`
	Ellipsis bool   `json:"ellipsis,omitempty"`
}

// ClassNames returns the pagination's classes.
func (p Pagination) ClassNames() string {
	s := "nhsuk-pagination"
	if len(p.Items) > 0 {
		s += " nhsuk-pagination--numbered"
	}
	return join(s, p.Classes)
}

// Label returns the navigation landmark's label.
func (p Pagination) Label() string {
	if p.AriaLabel == "" {
		return "Pagination"
	}
	return p.AriaLabel
}

// Breadcrumb is nhsuk's breadcrumb trail; on small screens it shows a
// back link to the last item.
type Breadcrumb struct {
	ID        string           `json:"id,omitempty"`
	Items     []BreadcrumbItem `json:"items,omitempty"`
	Href      string           `json:"href,omitempty"`
	Text      string           `json:"text,omitempty"`
	AriaLabel string           `json:"ariaLabel,omitempty"`
	Classes   string           `json:"classes,omitempty"`
}

// BreadcrumbItem is one step.
type BreadcrumbItem struct {
	Content
	Href string `json:"href,omitempty"`
}

// Links returns the steps with a link, then Text and Href if set.
func (b Breadcrumb) Links() []BreadcrumbItem {
	var out []BreadcrumbItem
	for _, it := range b.Items {
		if it.Href != "" {
			out = append(out, it)
		}
	}
	if b.Text != "" && b.Href != "" {
		out = append(out, BreadcrumbItem{Content: Content{Text: b.Text}, Href: b.Href})
	}
	return out
}

// Back returns the back link shown on small screens.
func (b Breadcrumb) Back() BackLink {
	bl := BackLink{VisuallyHiddenText: "Back to"}
	if b.Text != "" && b.Href != "" {
		bl.Href, bl.Text = b.Href, b.Text
	} else if n := len(b.Items); n > 0 {
		bl.Href, bl.Text = b.Items[n-1].Href, b.Items[n-1].Text
	}
	return bl
}

// Label returns the navigation landmark's label.
func (b Breadcrumb) Label() string {
	if b.AriaLabel == "" {
		return "Breadcrumb"
	}
	return b.AriaLabel
}

// SkipLink is nhsuk's skip link to the main content.
type SkipLink struct {
	Content
	ID      string `json:"id,omitempty"`
	Href    string `json:"href,omitempty"`
	Classes string `json:"classes,omitempty"`
}

// Target returns the link's target, #maincontent by default.
func (s SkipLink) Target() string {
	if s.Href == "" {
		return "#maincontent"
	}
	return s.Href
}

// Label returns the link's text, "Skip to main content" by default.
func (s SkipLink) Label() Content {
	if s.Empty() {
		return Content{Text: "Skip to main content"}
	}
	return s.Content
}

// Header is nhsuk's header: the NHS logo, the service name, when
// someone is signed in their account links, and the navigation.
type Header struct {
	Logo       HeaderLogo        `json:"logo"`
	Service    HeaderService     `json:"service"`
	Account    *HeaderAccount    `json:"account,omitempty"`
	Navigation *HeaderNavigation `json:"navigation,omitempty"`
	Colour     string            `json:"colour,omitempty"`
}

// HeaderNavigation is the header's menu of the service's main sections.
type HeaderNavigation struct {
	Items     []NavigationItem `json:"items,omitempty"`
	Justified bool             `json:"justified,omitempty"`
}

// NavigationItem is one section. Active marks the section the page is
// in; Current marks the section's own page (and without Href, an item
// that is not a link).
type NavigationItem struct {
	Content
	Href    string `json:"href,omitempty"`
	Active  bool   `json:"active,omitempty"`
	Current bool   `json:"current,omitempty"`
}

// ClassNames returns the navigation's classes.
func (n HeaderNavigation) ClassNames() string {
	if n.Justified {
		return "nhsuk-header__navigation nhsuk-header__navigation--justified"
	}
	return "nhsuk-header__navigation"
}

// Marked reports whether the item is the active or current one.
func (i NavigationItem) Marked() bool { return i.Active || i.Current }

// AriaCurrent returns the item's aria-current: page for the section's own
// page, true for a page within it.
func (i NavigationItem) AriaCurrent() string {
	switch {
	case i.Current:
		return "page"
	case i.Active:
		return "true"
	}
	return ""
}

// HeaderLogo is where the logo links.
type HeaderLogo struct {
	Href string `json:"href,omitempty"`
}

// HeaderService is the service name and where it links.
type HeaderService struct {
	Text string `json:"text,omitempty"`
	Href string `json:"href,omitempty"`
}

// HeaderAccount is the signed-in account's links and forms.
type HeaderAccount struct {
	Items []AccountItem `json:"items,omitempty"`
}

// AccountItem is a link (Href) or a form posting to Action, such as
// signing out. Fields are the form's hidden fields (a CSRF token).
type AccountItem struct {
	Content
	Href   string            `json:"href,omitempty"`
	Action string            `json:"action,omitempty"`
	Icon   bool              `json:"icon,omitempty"`
	Fields map[string]string `json:"-"`
}

// ClassNames returns the header's classes.
func (h Header) ClassNames() string {
	return join("nhsuk-header", modifier("nhsuk-header--", h.Colour, "", "white"))
}

// Combined reports whether the logo and the service name are one link,
// as nhsuk does when they would go to the same place.
func (h Header) Combined() bool {
	return h.Service.Text != "" && (h.Service.Href != "" && h.Logo.Href == "" || h.Service.Href != "" && h.Service.Href == h.Logo.Href)
}

// LogoHref returns where the logo links, "" for nowhere.
func (h Header) LogoHref() string {
	if h.Combined() {
		return h.Service.Href
	}
	return h.Logo.Href
}

// LogoLabel returns the accessible name of the logo link.
func (h Header) LogoLabel() string {
	if h.Combined() {
		return "NHS " + h.Service.Text + " homepage"
	}
	return "NHS homepage"
}

// Footer is nhsuk's footer with its support links.
type Footer struct {
	Meta FooterMeta `json:"meta"`
}

// FooterMeta are the support links and the copyright line.
type FooterMeta struct {
	Items []FooterLink `json:"items,omitempty"`
}

// FooterLink is one support link.
type FooterLink struct {
	Href string `json:"href,omitempty"`
	Text string `json:"text,omitempty"`
}

// ActionItems returns the row's actions.
func (r SummaryRow) ActionItems() []Action {
	if r.Actions == nil {
		return nil
	}
	return r.Actions.Items
}

// ClassNames returns the row's classes; listHasActions says whether any
// row of the list has actions.
func (r SummaryRow) ClassNames(listHasActions bool) string {
	c := "nhsuk-summary-list__row"
	if listHasActions && len(r.ActionItems()) == 0 {
		c += " nhsuk-summary-list__row--no-actions"
	}
	return join(c, r.Classes)
}

// icons are the paths of nhsuk's icons that the components use.
var icons = map[string]string{
	"arrow-left":           "M10.7 6.3c.4.4.4 1 0 1.4L7.4 11H19a1 1 0 0 1 0 2H7.4l3.3 3.3c.4.4.4 1 0 1.4a1 1 0 0 1-1.4 0l-5-5A1 1 0 0 1 4 12c0-.3.1-.5.3-.7l5-5a1 1 0 0 1 1.4 0Z",
	"arrow-right":          "m14.7 6.3 5 5c.2.2.3.4.3.7 0 .3-.1.5-.3.7l-5 5a1 1 0 0 1-1.4-1.4l3.3-3.3H5a1 1 0 0 1 0-2h11.6l-3.3-3.3a1 1 0 1 1 1.4-1.4Z",
	"chevron-right-circle": "M12 2a10 10 0 1 1 0 20 10 10 0 0 1 0-20Zm-.3 5.8a1 1 0 1 0-1.5 1.4l2.9 2.8-2.9 2.8a1 1 0 0 0 1.5 1.4l3.5-3.5c.4-.4.4-1 0-1.4Z",
	"user":                 "M12 1a11 11 0 1 1 0 22 11 11 0 0 1 0-22Zm0 2a9 9 0 0 0-5 16.5V18a4 4 0 0 1 4-4h2a4 4 0 0 1 4 4v1.5A9 9 0 0 0 12 3Zm0 3a3.5 3.5 0 1 1-3.5 3.5A3.4 3.4 0 0 1 12 6Z",
}

// icon returns nhsuk's inline SVG icon called name, hidden from screen
// readers (the text beside it says what it means).
func icon(name string) template.HTML {
	d, ok := icons[name]
	if !ok {
		return ""
	}
	return template.HTML(`<svg class="nhsuk-icon nhsuk-icon--` + name + `" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true"><path d="` + d + `"/></svg>`)
}

// cellData is what the cell template needs: the table, the cell and its
// column.
type cellData struct {
	Table Table
	Cell  TableCell
	Index int
}

func cell(t Table, c TableCell, i int) cellData { return cellData{t, c, i} }

// hopen opens a heading of level (clamped to 1–6) with classes; html/
// template cannot take a tag name from an action.
func hopen(level int, classes string) template.HTML {
	return template.HTML("<h" + strconv.Itoa(min(max(level, 1), 6)) + ` class="` + template.HTMLEscapeString(classes) + `">`)
}

// hclose closes a heading opened by hopen.
func hclose(level int) template.HTML {
	return template.HTML("</h" + strconv.Itoa(min(max(level, 1), 6)) + ">")
}
