module github.com/together-coop/together/projections

go 1.26.0

require github.com/together-coop/together/events v0.0.0

replace github.com/together-coop/together/events => ../events
