package main

import (
	"os"
	"strings"
)

// The command's own words in Indonesian: errors and hints written by
// cmd/segel, the labels of the readable verification report, the archive
// summary and the HTML report. They are used when the locale
// (LC_ALL, then LC_MESSAGES, then LANG) is Indonesian (id or id_ID).
// Keys are the English text (a fmt format where the text has values);
// a text not in the catalog is shown in English. Messages from the
// libraries (the verifier's errors and warnings) stay in English.

// indonesian reports whether messages should be in Indonesian.
func indonesian() bool {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if l := os.Getenv(v); l != "" {
			return l == "id" || strings.HasPrefix(l, "id_") || strings.HasPrefix(l, "id.")
		}
	}
	return false
}

// tr returns s in the user's language.
func tr(s string) string {
	if indonesian() {
		if t, ok := catalogID[s]; ok {
			return t
		}
	}
	return s
}

var catalogID = map[string]string{
	// main.go: prefixes, usage.
	"error":                            "galat",
	"hint":                             "saran",
	"run \"segel help\" for usage":     "jalankan \"segel help\" untuk cara pemakaian",
	"summary":                          "ringkasan",
	"by verdict":                       "menurut hasil",
	"by signer organisation":           "menurut instansi penanda tangan",
	"by PAdES level (lowest per file)": "menurut level PAdES (terendah per berkas)",
	"by certificate expiry year":       "menurut tahun berakhirnya sertifikat",
	"without LTV, certificate expiring within a year": "tanpa LTV, sertifikat berakhir dalam setahun",
	"internal error": "galat internal",
	"this is a bug in segel; please report it with the command you ran (not the file)": "ini kutu (bug) di segel; laporkan beserta perintah yang dijalankan (bukan berkasnya)",

	// cliargs.go
	"flag %s of %s needs a value":                                        "opsi %s dari %s memerlukan nilai",
	"the folder %s does not exist (create it first, or write elsewhere)": "folder %s tidak ada (buat dulu, atau tulis ke tempat lain)",
	"%s is not a folder":                                                 "%s bukan folder",
	"%s is a folder; give a file name":                                   "%s adalah folder; berikan nama berkas",
	"%q is not a command of %s":                                          "%q bukan perintah %s",
	"did you mean %s?":                                                   "maksud Anda %s?",
	"the commands are: %s":                                               "perintah yang ada: %s",
	"%s has no flag %s":                                                  "%s tidak punya opsi %s",
	"run \"%s --help\" for its flags":                                    "jalankan \"%s --help\" untuk daftar opsinya",
	"or":                                                                 "atau",

	// verify.go
	"verify needs at least one FILE or DIR":                            "verify memerlukan paling sedikit satu BERKAS atau FOLDER",
	"%s is not a regular file":                                         "%s bukan berkas biasa",
	"no PDF files found":                                               "tidak ada berkas PDF",
	"--at %q is not an RFC 3339 time (e.g. 2026-11-27T10:00:00+07:00)": "--at %q bukan waktu RFC 3339 (mis. 2026-11-27T10:00:00+07:00)",

	// report.go: the readable report.
	"%d signature(s), %d revision(s)":     "%d tanda tangan, %d revisi",
	"signer":                              "penanda tangan",
	"time":                                "waktu",
	"(proven by a verified timestamp)":    "(dibuktikan cap waktu yang sah)",
	"(claimed by the signer, not proven)": "(menurut penanda tangan, tidak dibuktikan)",
	"reason":                              "alasan",
	"location":                            "lokasi",
	"chain":                               "rantai",
	"checks":                              "pemeriksaan",
	"revision %d of %d":                   "revisi %d dari %d",
	"revocation":                          "pencabutan",
	"changes after signing":               "perubahan setelah ditandatangani",
	"allowed":                             "diizinkan",
	"NOT ALLOWED":                         "TIDAK DIIZINKAN",
	"page %d":                             "halaman %d",
	"warning":                             "peringatan",
	"verdict":                             "putusan",
	"field":                               "kolom",
	"no chain can be trusted without trust roots: pass --trust ROOTS.pem":                                                                   "tanpa akar tepercaya tidak ada rantai yang dapat dipercaya: berikan --trust AKAR.pem",
	"revocation was checked only against the data in the file: --online asks the certificates' OCSP responders and CRL distribution points": "status pencabutan hanya diperiksa dengan data di dalam berkas: --online bertanya ke OCSP dan CRL sertifikatnya",

	// archive.go: the summary, the HTML report; verify.go: interruption.
	"certificate expires %s":                      "sertifikat berakhir %s",
	"extend them with segel extend --level B-LTA": "perpanjang dengan segel extend --level B-LTA",
	"(no organisation)":                           "(tanpa instansi)",
	"segel verification report":                   "Laporan pemeriksaan segel",
	"File":                                        "Berkas",
	"Verdict":                                     "Hasil",
	"Signers":                                     "Penanda tangan",
	"PAdES levels":                                "Level PAdES",
	"Errors":                                      "Galat",
	"files":                                       "berkas",
	"interrupted: %d of %d file(s) verified":      "dihentikan: %d dari %d berkas diperiksa",
}
