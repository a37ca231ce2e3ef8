package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

// The command line is read once by prepareArgs before urfave/cli sees it,
// so that segel forgives what people type out of habit:
//
//   - flags may come after the file names ("segel sign in.pdf --key K -o
//     out.pdf"): they are moved in front of the arguments, each with its
//     value, using the command's own flag definitions to know which flags
//     take one; "--" ends the flags as usual;
//   - an unknown command or sub-command is answered with "did you mean";
//   - an unknown flag is reported once, with "did you mean", not with the
//     whole help;
//   - an output path whose folder does not exist (-o nodir/x.pdf,
//     --report, --state) is reported plainly before anything runs.

// invocation is what prepareArgs learnt about the command line.
type invocation struct {
	args []string // the reordered arguments for urfave/cli
	path []string // the command path, e.g. ["keys", "create"]
}

// outputFlags name the flags whose value is a file segel writes; their
// folder must exist.
var outputFlags = map[string]bool{"output": true, "report": true, "state": true}

// fileFlags are the output flags that name a file, never a folder (-o may
// name a folder for several inputs).
var fileFlags = map[string]bool{"report": true, "state": true}

// prepareArgs reorders args (flags before arguments) and checks command
// and flag names. It returns a usageError for an unknown command or flag.
func prepareArgs(app *cli.App, args []string) (invocation, error) {
	inv := invocation{args: args}
	if len(args) < 2 {
		return inv, nil
	}
	out := []string{args[0]}
	rest := args[1:]
	// Global flags before the command.
	for len(rest) > 0 && strings.HasPrefix(rest[0], "-") && rest[0] != "-" {
		switch rest[0] {
		case "-h", "--help", "-help", "-v", "--version", "-version":
			return inv, nil // urfave/cli answers these itself
		}
		name := flagName(rest[0])
		return inv, unknownFlag(name, "segel", globalFlagNames())
	}
	if len(rest) == 0 {
		return inv, nil
	}
	if rest[0] == "help" || rest[0] == "h" {
		return inv, nil
	}
	cmds := app.Commands
	var cmd *cli.Command
	for len(rest) > 0 {
		if cmd != nil && len(cmd.Subcommands) == 0 {
			break
		}
		if cmd != nil && (len(rest) == 0 || strings.HasPrefix(rest[0], "-")) {
			// "segel keys --help" and the like: leave it to urfave/cli.
			if hasHelpFlag(rest) {
				return inv, nil
			}
			break
		}
		name := rest[0]
		if cmd != nil && (name == "help" || name == "h") {
			return inv, nil
		}
		next := findCommand(cmds, name)
		if next == nil && cmd != nil && cmd.Action != nil {
			// A command with sub-commands and an action of its own
			// ("segel fields FILE"): the rest are its arguments.
			break
		}
		if next == nil {
			where := "segel"
			if len(inv.path) > 0 {
				where = "segel " + strings.Join(inv.path, " ")
			}
			return inv, unknownCommand(name, where, commandNames(cmds))
		}
		cmd = next
		inv.path = append(inv.path, cmd.Name)
		out = append(out, name)
		rest = rest[1:]
		cmds = cmd.Subcommands
	}
	if cmd == nil {
		return inv, nil
	}
	if len(cmd.Subcommands) > 0 && cmd.Action == nil {
		// A group called without a sub-command: urfave/cli shows its help.
		inv.args = append(out, rest...)
		return inv, nil
	}
	where := "segel " + strings.Join(inv.path, " ")
	var flags, positional []string
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		if a == "--" {
			positional = append(positional, rest[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			positional = append(positional, a)
			continue
		}
		name := flagName(a)
		if name == "h" || name == "help" {
			return inv, nil
		}
		fl := findFlag(cmd.Flags, name)
		if fl == nil {
			return inv, unknownFlag(name, where, flagNames(cmd.Flags))
		}
		flags = append(flags, a)
		value, hasValue := "", strings.Contains(a, "=")
		if hasValue {
			value = a[strings.Index(a, "=")+1:]
		}
		if takesValue(fl) && !hasValue {
			if i+1 >= len(rest) {
				return inv, usageError{fmt.Errorf(tr("flag %s of %s needs a value"), dashed(name), where)}
			}
			i++
			value = rest[i]
			flags = append(flags, value)
		}
		if outputFlags[fl.Names()[0]] && value != "" {
			if err := checkOutputFolder(value); err != nil {
				return inv, err
			}
			if st, err := os.Stat(value); err == nil && st.IsDir() && fileFlags[fl.Names()[0]] {
				return inv, usageError{folderError{fmt.Errorf(tr("%s is a folder; give a file name"), value)}}
			}
		}
	}
	out = append(out, flags...)
	for _, p := range positional {
		if strings.HasPrefix(p, "-") && p != "-" {
			out = append(out, "--")
			break
		}
	}
	inv.args = append(out, positional...)
	return inv, nil
}

// checkOutputFolder reports, in plain words, an output path whose folder
// does not exist or is not a folder. Commands that write files call it
// before doing any work.
func checkOutputFolder(path string) error {
	dir := filepath.Dir(filepath.Clean(path))
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return usageError{folderError{fmt.Errorf(tr("the folder %s does not exist (create it first, or write elsewhere)"), dir)}}
	case err != nil:
		return usageError{err}
	case !st.IsDir():
		return usageError{folderError{fmt.Errorf(tr("%s is not a folder"), dir)}}
	}
	return nil
}

// folderError is a missing or wrong output folder: plain enough without
// a pointer to the help.
type folderError struct{ error }

func (f folderError) Unwrap() error { return f.error }

func flagName(a string) string {
	n := strings.TrimLeft(a, "-")
	if i := strings.Index(n, "="); i >= 0 {
		n = n[:i]
	}
	return n
}

func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func hasHelpFlag(args []string) bool {
	for _, a := range args {
		if n := flagName(a); strings.HasPrefix(a, "-") && (n == "h" || n == "help") {
			return true
		}
	}
	return false
}

func findCommand(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

// takesValue reports whether a flag reads the next argument as its value
// (every flag but a boolean one).
func takesValue(f cli.Flag) bool {
	if d, ok := f.(cli.DocGenerationFlag); ok {
		return d.TakesValue()
	}
	_, isBool := f.(*cli.BoolFlag)
	return !isBool
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	return out
}

func flagNames(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, f.Names()...)
	}
	return out
}

func globalFlagNames() []string { return []string{"help", "version"} }

func unknownCommand(name, where string, known []string) error {
	err := fmt.Errorf(tr("%q is not a command of %s"), name, where)
	if s := suggest(name, known); len(s) > 0 {
		return usageError{withHint(err, fmt.Sprintf(tr("did you mean %s?"), orList(prefixAll(where+" ", s))))}
	}
	return usageError{withHint(err, fmt.Sprintf(tr("the commands are: %s"), strings.Join(known, ", ")))}
}

func unknownFlag(name, where string, known []string) error {
	err := fmt.Errorf(tr("%s has no flag %s"), where, dashed(name))
	if s := suggest(name, known); len(s) > 0 {
		var d []string
		for _, n := range s {
			d = append(d, dashed(n))
		}
		return usageError{withHint(err, fmt.Sprintf(tr("did you mean %s?"), orList(d)))}
	}
	return usageError{withHint(err, fmt.Sprintf(tr("run \"%s --help\" for its flags"), where))}
}

func prefixAll(p string, s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = p + x
	}
	return out
}

func orList(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = `"` + x + `"`
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " " + tr("or") + " " + q[len(q)-1]
}

// suggest returns the known names close to name: edit distance at most 2
// (1 for short names), or name as a prefix.
func suggest(name string, known []string) []string {
	type cand struct {
		n string
		d int
	}
	var cs []cand
	for _, k := range known {
		d := editDistance(strings.ToLower(name), strings.ToLower(k))
		limit := 2
		if len(name) <= 3 {
			limit = 1
		}
		if d <= limit || (len(name) >= 2 && strings.HasPrefix(k, name)) {
			cs = append(cs, cand{k, d})
		}
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].d < cs[j].d })
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		if !seen[c.n] && len(out) < 3 {
			seen[c.n] = true
			out = append(out, c.n)
		}
	}
	return out
}

// editDistance is the Damerau–Levenshtein (optimal string alignment)
// distance: a swapped pair of letters counts one.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
