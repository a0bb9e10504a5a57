package auth

import "testing"

// A read is kept only if nothing changed between its ticket and its keep,
// and only while a watch reports every change.
func TestKeptValuesKeepNoOvertakenRead(t *testing.T) {
	rec := keptValue{value: []byte(`{"name":"kept"}`), revision: 7}
	for _, tt := range []struct {
		name string
		// between runs after the ticket is taken and before the keep.
		between func(c *keptValues)
		want    bool
	}{
		{"nothing changed", func(*keptValues) {}, true},
		{"the key changed", func(c *keptValues) { c.changed("tokens.1") }, false},
		{"another key changed", func(c *keptValues) { c.changed("tokens.2") }, false},
		{"the watch ended", func(c *keptValues) { c.watching(false) }, false},
		{"the watch ended and began again", func(c *keptValues) { c.watching(false); c.watching(true) }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var c keptValues
			c.watching(true)
			ticket, ok := c.ticket()
			if !ok {
				t.Fatal("no ticket while watched")
			}
			tt.between(&c)
			c.keep("tokens.1", rec, ticket)
			if got, ok := c.look("tokens.1"); ok != tt.want || (ok && got.revision != rec.revision) {
				t.Errorf("look = %+v, %t, want kept %t", got, ok, tt.want)
			}
		})
	}
	t.Run("unwatched", func(t *testing.T) {
		var c keptValues
		ticket, ok := c.ticket()
		if ok {
			t.Error("a ticket says a read may be kept with no watch")
		}
		c.keep("tokens.1", rec, ticket)
		if _, ok := c.look("tokens.1"); ok {
			t.Error("kept with no watch")
		}
	})
	t.Run("forgotten when the watch ends", func(t *testing.T) {
		var c keptValues
		c.watching(true)
		ticket, _ := c.ticket()
		c.keep("tokens.1", rec, ticket)
		c.watching(false)
		c.watching(true)
		if _, ok := c.look("tokens.1"); ok {
			t.Error("a record kept under an earlier watch is still kept")
		}
	})
}
