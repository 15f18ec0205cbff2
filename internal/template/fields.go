package template

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"text/template/parse"
)

// dataFields are the fields of Data, the data every template is executed
// with.
var dataFields = func() []string {
	t := reflect.TypeFor[Data]()
	out := make([]string, t.NumField())
	for i := range out {
		out[i] = t.Field(i).Name
	}
	return out
}()

// checkFields reports the first field the template reads from its data
// that Data does not have: `{{ .fm.title }}`, `{{ .title }}`. text/template
// would fail on it at run time, for every file; this says so when the
// configuration loads, with the name that was likely meant. Dot is the data
// outside range and with (and their else branches); $ is the data anywhere.
func checkFields(name string, tree *parse.Tree) error {
	c := fieldCheck{name: name, tree: tree}
	c.list(tree.Root, true)
	return c.err
}

type fieldCheck struct {
	name string
	tree *parse.Tree
	err  error
}

func (c *fieldCheck) list(l *parse.ListNode, dot bool) {
	if l == nil {
		return
	}
	for _, n := range l.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			c.pipe(n.Pipe, dot)
		case *parse.IfNode:
			c.pipe(n.Pipe, dot)
			c.list(n.List, dot)
			c.list(n.ElseList, dot)
		case *parse.RangeNode:
			c.rebinds(&n.BranchNode, dot)
		case *parse.WithNode:
			c.rebinds(&n.BranchNode, dot)
		case *parse.TemplateNode:
			c.pipe(n.Pipe, dot)
		case *parse.ListNode:
			c.list(n, dot)
		}
	}
}

// rebinds checks a range or with: dot is its pipeline's value in its list,
// and what it was in its else branch.
func (c *fieldCheck) rebinds(b *parse.BranchNode, dot bool) {
	c.pipe(b.Pipe, dot)
	c.list(b.List, false)
	c.list(b.ElseList, dot)
}

func (c *fieldCheck) pipe(p *parse.PipeNode, dot bool) {
	if p == nil {
		return
	}
	for _, cmd := range p.Cmds {
		for _, a := range cmd.Args {
			switch a := a.(type) {
			case *parse.FieldNode:
				if dot {
					c.field(a, a.Ident[0])
				}
			case *parse.VariableNode:
				if a.Ident[0] == "$" && len(a.Ident) > 1 {
					c.field(a, a.Ident[1])
				}
			case *parse.ChainNode:
				if sub, ok := a.Node.(*parse.PipeNode); ok {
					c.pipe(sub, dot)
				}
			case *parse.PipeNode:
				c.pipe(a, dot)
			}
		}
	}
}

// field records an error for name, read from the data at n, unless Data
// has it.
func (c *fieldCheck) field(n parse.Node, name string) {
	if c.err != nil {
		return
	}
	var hint string
	for _, f := range dataFields {
		if f == name {
			return
		}
		if strings.EqualFold(f, name) {
			hint = "did you mean ." + f + "?"
		}
	}
	if hint == "" {
		hint = "front matter fields are under .FM: did you mean .FM." + name + "?"
	}
	e := &Error{Template: c.name, Message: fmt.Sprintf(".%s is not a field of a file's data (.%s); %s", name, strings.Join(dataFields, ", ."), hint)}
	loc, _ := c.tree.ErrorContext(n) // NAME:LINE:COL
	if parts := strings.Split(loc, ":"); len(parts) >= 3 {
		e.Line, _ = strconv.Atoi(parts[len(parts)-2])
		e.Column, _ = strconv.Atoi(parts[len(parts)-1])
	}
	c.err = e
}
