module github.com/together-coop/together/projections

go 1.26.0

require github.com/together-coop/together/events v0.0.0

require (
	github.com/google/go-cmp v0.7.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
)

replace github.com/together-coop/together/events => ../events
