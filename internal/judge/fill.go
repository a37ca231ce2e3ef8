package judge

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// mutoolFillJS is run by `mutool run` (MuPDF 1.21's JavaScript, ES5):
//
//	mutool run fill.js IN OUT name=value ...
//
// It opens IN, sets every named terminal field found in the AcroForm's
// /Fields (text fields: setTextValue; check boxes: "on"/"off" by toggling)
// through its widget, lets MuPDF regenerate the widget's appearance
// (update), and saves OUT incrementally. MuPDF's widgets do not expose
// their field name, so widgets are matched to fields by rectangle (MuPDF
// reports widget rectangles in page space, with y flipped). A field that
// is asked for but not found, or a document MuPDF will not save
// incrementally (a repaired file, for instance), is an error.
const mutoolFillJS = `
var doc = new PDFDocument(scriptArgs[0]);
if (!doc.canBeSavedIncrementally())
  throw new Error("MuPDF cannot save this document incrementally");
var want = {}, done = {};
for (var i = 2; i < scriptArgs.length; i++) {
  var kv = scriptArgs[i].split("=");
  want[kv[0]] = kv.slice(1).join("=");
}
function num(a, i) { return Math.round(Number(a.get ? a.get(i) : a[i])); }
function key(x0, y0, x1, y1) { return [Math.round(x0), Math.round(y0), Math.round(x1), Math.round(y1)].join(","); }
var byRect = {};
var fields = doc.getTrailer().get("Root").get("AcroForm").get("Fields");
for (var i = 0; i < fields.length; i++) {
  var f = fields.get(i), r = f.get("Rect");
  if (r.isArray() && f.get("T").isString())
    byRect[key(num(r, 0), num(r, 1), num(r, 2), num(r, 3))] = f.get("T").asString();
}
for (var p = 0; p < doc.countPages(); p++) {
  var h = Number(doc.findPage(p).get("MediaBox").get(3));
  var ws = doc.loadPage(p).getWidgets();
  for (var j = 0; j < ws.length; j++) {
    var w = ws[j], r = w.getRect();
    var name = byRect[key(r[0], h - r[3], r[2], h - r[1])];
    if (name === undefined || !(name in want)) continue;
    var t = w.getFieldType();
    if (t == "text") w.setTextValue(want[name]);
    else if (t == "checkbox") { if ((w.getValue() != "Off") != (want[name] == "on")) w.toggle(); }
    else throw new Error("cannot fill field " + name + " of type " + t);
    w.update();
    done[name] = true;
  }
}
for (var n in want) if (!done[n]) throw new Error("no widget for field " + n);
doc.save(scriptArgs[1], "incremental");
`

// MutoolFill fills the form fields of in with MuPDF's JavaScript (`mutool
// run`) and saves the result incrementally to out: text fields get the
// value given, check boxes are set "on" or "off". Top-level fields merged
// with their widget only (as in testdata/form.pdf). MuPDF writes the
// field/widget with its new /V (and /AS for check boxes), a new /AP /N
// appearance stream for text fields, and a new font object for the
// appearances' resources.
func MutoolFill(t testing.TB, in, out string, values map[string]string) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "fill.js")
	if err := os.WriteFile(script, []byte(mutoolFillJS), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"run", script, in, out}
	names := make([]string, 0, len(values))
	for k := range values {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		args = append(args, k+"="+values[k])
	}
	mustRun(t, "mutool", args...)
}
