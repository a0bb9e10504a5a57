// Package projects is the command service for projects: registering them,
// adding the elements that could be co-produced, assessing the duty to
// involve, deciding the involvement level of each element, and closing.
package projects
