package projections_test

import (
	"strconv"
	"strings"
)

// lookup finds a dotted path in a decoded JSON tree.
func lookup(tree any, path string) (any, bool) {
	for _, seg := range strings.Split(path, ".") {
		switch t := tree.(type) {
		case map[string]any:
			v, ok := t[seg]
			if !ok {
				return nil, false
			}
			tree = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			tree = t[i]
		default:
			return nil, false
		}
	}
	return tree, true
}
