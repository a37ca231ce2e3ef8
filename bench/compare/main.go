// Command compare runs commands side by side under /usr/bin/time and prints
// a markdown table per group: median wall time, median CPU time (user +
// system), peak RSS, and the ratio of the first command (segel) to each
// other one. Commands of a group run alternately (A B A B …) so that a
// change in the machine's load hits all of them alike.
//
// The spec is read from standard input, one command per line:
//
//	GROUP | NAME | COMMAND [| PREPARE]
//
// COMMAND and PREPARE run with sh -c; PREPARE (e.g. removing an output
// file) runs before each measured run and is not timed. Lines starting with
// # are ignored.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

type command struct {
	group, name, cmd, prep string
	wall, cpu              []float64
	rss                    []int
	failed                 string
}

func main() {
	reps := flag.Int("reps", 5, "measured runs per command")
	warm := flag.Int("warmup", 1, "unmeasured runs per command first")
	flag.Parse()
	var groups []string
	byGroup := map[string][]*command{}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		if len(parts) < 3 {
			fmt.Fprintln(os.Stderr, "compare: bad line:", line)
			os.Exit(2)
		}
		c := &command{group: strings.TrimSpace(parts[0]), name: strings.TrimSpace(parts[1]), cmd: strings.TrimSpace(parts[2])}
		if len(parts) > 3 {
			c.prep = strings.TrimSpace(parts[3])
		}
		if _, ok := byGroup[c.group]; !ok {
			groups = append(groups, c.group)
		}
		byGroup[c.group] = append(byGroup[c.group], c)
	}
	for _, g := range groups {
		cmds := byGroup[g]
		fmt.Fprintf(os.Stderr, "compare: %s\n", g)
		for i := 0; i < *warm+*reps; i++ {
			for _, c := range cmds {
				if c.failed != "" {
					continue
				}
				wall, cpu, rss, err := measure(c)
				if err != nil {
					c.failed = err.Error()
					continue
				}
				if i >= *warm {
					c.wall = append(c.wall, wall)
					c.cpu = append(c.cpu, cpu)
					c.rss = append(c.rss, rss)
				}
			}
		}
		printGroup(g, cmds, *reps)
	}
}

func measure(c *command) (wall, cpu float64, rssKB int, err error) {
	if c.prep != "" {
		if out, err := exec.Command("sh", "-c", c.prep).CombinedOutput(); err != nil {
			return 0, 0, 0, fmt.Errorf("prepare: %v: %s", err, out)
		}
	}
	tf, err := os.CreateTemp("", "compare-time")
	if err != nil {
		return 0, 0, 0, err
	}
	defer os.Remove(tf.Name())
	tf.Close()
	cmd := exec.Command("/usr/bin/time", "-o", tf.Name(), "-f", "%e %U %S %M", "sh", "-c", c.cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, 0, fmt.Errorf("%v: %s", err, strings.TrimSpace(lastLine(string(out))))
	}
	b, err := os.ReadFile(tf.Name())
	if err != nil {
		return 0, 0, 0, err
	}
	f := strings.Fields(lastLine(string(b)))
	if len(f) != 4 {
		return 0, 0, 0, fmt.Errorf("cannot read /usr/bin/time output %q", b)
	}
	wall, _ = strconv.ParseFloat(f[0], 64)
	u, _ := strconv.ParseFloat(f[1], 64)
	s, _ := strconv.ParseFloat(f[2], 64)
	rssKB, _ = strconv.Atoi(f[3])
	return wall, u + s, rssKB, nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func maxInt(v []int) int {
	m := 0
	for _, x := range v {
		if x > m {
			m = x
		}
	}
	return m
}

func printGroup(g string, cmds []*command, reps int) {
	fmt.Printf("\n### %s\n\n", g)
	fmt.Printf("| tool | wall (median of %d) | CPU user+sys | peak RSS | segel/tool wall | segel/tool RSS |\n", reps)
	fmt.Println("|---|---:|---:|---:|---:|---:|")
	ref := cmds[0]
	for _, c := range cmds {
		if c.failed != "" {
			fmt.Printf("| %s | failed: %s | | | | |\n", c.name, strings.ReplaceAll(c.failed, "|", "/"))
			continue
		}
		w, cpu, rss := median(c.wall), median(c.cpu), maxInt(c.rss)
		ratioW, ratioR := "", ""
		if c != ref && ref.failed == "" && w > 0 && rss > 0 {
			ratioW = fmt.Sprintf("%.2f×", median(ref.wall)/w)
			ratioR = fmt.Sprintf("%.2f×", float64(maxInt(ref.rss))/float64(rss))
		}
		fmt.Printf("| %s | %.3f s | %.3f s | %.1f MB | %s | %s |\n", c.name, w, cpu, float64(rss)/1024, ratioW, ratioR)
	}
}
