package main

import (
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"
)

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print segel's version",
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{fmt.Errorf("version takes no arguments, got %q", c.Args().First())}
			}
			fmt.Fprintf(c.App.Writer, "segel %s (%s, %s/%s)\n", c.App.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script for bash, zsh or fish",
		ArgsUsage: "bash|zsh|fish",
		Description: "Load it in the shell, for example:\n" +
			"   source <(segel completion bash)\n" +
			"   segel completion zsh > \"${fpath[1]}/_segel\"\n" +
			"   segel completion fish > ~/.config/fish/completions/segel.fish",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{fmt.Errorf("give the shell: segel completion bash, zsh or fish")}
			}
			words := completionWords(c.App)
			switch c.Args().First() {
			case "bash":
				fmt.Fprint(c.App.Writer, bashCompletion(words))
			case "zsh":
				fmt.Fprint(c.App.Writer, "#compdef segel\nautoload -U bashcompinit && bashcompinit\n"+bashCompletion(words))
			case "fish":
				fmt.Fprint(c.App.Writer, fishCompletion(words))
			default:
				return usageError{fmt.Errorf("unknown shell %q: use bash, zsh or fish", c.Args().First())}
			}
			return nil
		},
	}
}

// completionWords maps each command path ("" for the top level, "keys
// create" for a sub-command) to the words that may follow it.
func completionWords(app *cli.App) map[string][]string {
	out := map[string][]string{}
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			if c.Hidden {
				continue
			}
			out[path] = append(out[path], c.Name)
			p := strings.TrimSpace(path + " " + c.Name)
			for _, f := range c.Flags {
				out[p] = append(out[p], dashed(f.Names()[0]))
			}
			walk(p, c.Subcommands)
		}
	}
	walk("", app.Commands)
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func bashCompletion(words map[string][]string) string {
	var b strings.Builder
	b.WriteString("# bash completion for segel (segel completion bash)\n_segel() {\n  local cur path w\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  path=\"\"\n")
	b.WriteString("  for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n    case \"$w\" in -*) ;; *) case \" $(_segel_words \"$path\") \" in *\" $w \"*) path=\"${path:+$path }$w\";; esac;; esac\n  done\n")
	b.WriteString("  COMPREPLY=( $(compgen -W \"$(_segel_words \"$path\")\" -- \"$cur\") )\n  if [ ${#COMPREPLY[@]} -eq 0 ]; then COMPREPLY=( $(compgen -f -- \"$cur\") ); fi\n}\n")
	b.WriteString("_segel_words() {\n  case \"$1\" in\n")
	keys := make([]string, 0, len(words))
	for k := range words {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "    %q) echo %q;;\n", k, strings.Join(words[k], " "))
	}
	b.WriteString("  esac\n}\ncomplete -o default -F _segel segel\n")
	return b.String()
}

func fishCompletion(words map[string][]string) string {
	var b strings.Builder
	b.WriteString("# fish completion for segel (segel completion fish)\ncomplete -c segel -f\n")
	for _, w := range words[""] {
		fmt.Fprintf(&b, "complete -c segel -n '__fish_use_subcommand' -a %s\n", w)
	}
	keys := make([]string, 0, len(words))
	for k := range words {
		if k != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts := strings.Fields(k)
		cond := "__fish_seen_subcommand_from " + parts[len(parts)-1]
		for _, w := range words[k] {
			if strings.HasPrefix(w, "--") {
				fmt.Fprintf(&b, "complete -c segel -n '%s' -l %s\n", cond, strings.TrimPrefix(w, "--"))
			} else if strings.HasPrefix(w, "-") {
				fmt.Fprintf(&b, "complete -c segel -n '%s' -s %s\n", cond, strings.TrimPrefix(w, "-"))
			} else {
				fmt.Fprintf(&b, "complete -c segel -n '%s' -a %s\n", cond, w)
			}
		}
	}
	return b.String()
}
