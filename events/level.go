package events

// Level is a rung of the involvement ladder, from telling people what will
// happen to producing the service with them.
type Level string

// The involvement ladder, lowest first.
const (
	LevelInform    Level = "inform"
	LevelEngage    Level = "engage"
	LevelConsult   Level = "consult"
	LevelCoDesign  Level = "co_design"
	LevelCoProduce Level = "co_produce"
)

// Levels lists the ladder in order, lowest first.
var Levels = []Level{LevelInform, LevelEngage, LevelConsult, LevelCoDesign, LevelCoProduce}

// Rank is the level's place on the ladder (0 for inform) or -1 if the level
// is not on it.
func (l Level) Rank() int {
	for i, known := range Levels {
		if l == known {
			return i
		}
	}
	return -1
}

// Valid reports whether the level is on the ladder.
func (l Level) Valid() bool { return l.Rank() >= 0 }

// SharesPower reports whether the level is co-design or co-production: the
// levels at which an element without lived-experience voices is tokenism.
func (l Level) SharesPower() bool { return l == LevelCoDesign || l == LevelCoProduce }
