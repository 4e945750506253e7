/*
Copyright 2026 The lightrun-identity-operator Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package charts_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/client_golang/prometheus"
	promql "github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	_ "sigs.k8s.io/controller-runtime/pkg/controller" // registers the controller and workqueue metrics
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/lightrun-platform/lightrun-identity-operator/internal/testenv"
)

// exportedMetric is a metric the manager's /metrics endpoint serves.
type exportedMetric struct {
	Name   string
	Type   string // counter, gauge, histogram or summary
	Labels []string
}

// Metric types, as client_golang's constructors name them.
const (
	counter   = "counter"
	gauge     = "gauge"
	histogram = "histogram"
	summary   = "summary"
)

// Labels of controller-runtime's metrics.
var (
	byController = []string{"controller"}
	byQueue      = []string{"name", "controller"}
)

// operatorMetrics are the operator's own metrics. This table must follow the
// code: a spec compares it with every prometheus.New*(Vec) call in the
// module's Go source, wherever the metrics move.
var operatorMetrics = []exportedMetric{
	{"lightrun_identity_users", gauge, []string{"namespace", "identity_config", "state"}},
	{"lightrun_identity_lightrun_requests_total", counter, []string{"operation", "status"}},
	{"lightrun_identity_lightrun_request_duration_seconds", histogram, []string{"operation"}},
	{"lightrun_identity_reconcile_duration_seconds", histogram, []string{"controller", "outcome"}},
	{"lightrun_identity_drift_reverted_total", counter, []string{"kind"}},
	{"lightrun_identity_scim_requests_total", counter, []string{"method", "resource", "code"}},
	{"lightrun_identity_scim_request_duration_seconds", histogram, []string{"method", "resource"}},
	{"lightrun_identity_events_dropped_total", counter, []string{"reason"}},
}

// runtimeMetrics are controller-runtime's metrics the dashboard and alerts
// may use, served on the same endpoint. This table must follow
// controller-runtime: a spec compares it with its metrics registry.
var runtimeMetrics = []exportedMetric{
	{"controller_runtime_reconcile_total", counter, []string{"controller", "result"}},
	{"controller_runtime_reconcile_errors_total", counter, byController},
	{"controller_runtime_terminal_reconcile_errors_total", counter, byController},
	{"controller_runtime_reconcile_time_seconds", histogram, byController},
	{"controller_runtime_active_workers", gauge, byController},
	{"controller_runtime_max_concurrent_reconciles", gauge, byController},
	{"workqueue_depth", gauge, []string{"name", "controller", "priority"}},
	{"workqueue_adds_total", counter, byQueue},
	{"workqueue_retries_total", counter, byQueue},
	{"workqueue_queue_duration_seconds", histogram, byQueue},
	{"workqueue_longest_running_processor_seconds", gauge, byQueue},
	{"leader_election_master_status", gauge, []string{"name"}},
}

// targetLabels are added by Prometheus to every series it scrapes through the
// chart's ServiceMonitor; the operator does not export them. With
// honorLabels, the namespace label of lightrun_identity_users is the
// IdentityConfig's, everywhere else the operator's.
var targetLabels = []string{"job", "instance", "namespace", "pod", "service", "container", "endpoint"}

// seriesLabels maps every series name the endpoint serves to its labels: a
// histogram is served as _bucket (with le), _sum and _count.
func seriesLabels() map[string][]string {
	out := map[string][]string{}
	for _, m := range slices.Concat(operatorMetrics, runtimeMetrics) {
		switch m.Type {
		case histogram:
			out[m.Name+"_bucket"] = append(slices.Clone(m.Labels), "le")
			out[m.Name+"_sum"] = m.Labels
			out[m.Name+"_count"] = m.Labels
		case summary:
			out[m.Name] = append(slices.Clone(m.Labels), "quantile")
			out[m.Name+"_sum"] = m.Labels
			out[m.Name+"_count"] = m.Labels
		default:
			out[m.Name] = m.Labels
		}
	}
	return out
}

func normalized(ms []exportedMetric) map[string]exportedMetric {
	out := map[string]exportedMetric{}
	for _, m := range ms {
		m.Labels = slices.Sorted(slices.Values(m.Labels))
		out[m.Name] = m
	}
	return out
}

// metricConstructors are the client_golang functions that declare a metric.
var metricConstructors = regexp.MustCompile(`^New(Counter|Gauge|Histogram|Summary)(Vec)?$`)

// declaredMetrics reads every metric the module's non-test Go source declares
// with prometheus.New*(Vec) (or promauto's methods of the same names): the
// name from the Namespace, Subsystem and Name of its *Opts literal, the
// labels from its []string literal. Strings may be literals or constants of
// the same package. A declaration it cannot read is an error, so the table
// above cannot silently drift from the code.
func declaredMetrics() (map[string]exportedMetric, []string) {
	GinkgoHelper()
	return declaredMetricsIn(testenv.RepoRoot())
}

func declaredMetricsIn(root string) (map[string]exportedMetric, []string) {
	GinkgoHelper()
	out := map[string]exportedMetric{}
	var problems []string
	fset := token.NewFileSet()
	for _, paths := range goFilesByPackage(root) {
		files := make([]*ast.File, 0, len(paths))
		for _, path := range paths {
			f, err := parser.ParseFile(fset, path, nil, 0)
			Expect(err).NotTo(HaveOccurred())
			files = append(files, f)
		}
		consts := stringConsts(files)
		for _, f := range files {
			r := metricReader{fset: fset, consts: consts, alias: importName(f, "github.com/prometheus/client_golang/prometheus")}
			if r.alias == "" {
				continue
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if call, ok := n.(*ast.CallExpr); ok {
					if m, ok := r.read(call); ok {
						out[m.Name] = m
					}
				}
				return true
			})
			problems = append(problems, r.problems...)
		}
	}
	return out, problems
}

// goFilesByPackage lists the non-test Go files of the module at root by
// directory, leaving out other modules (hack/tools/...), testdata, vendor,
// bin, dist and hidden directories.
func goFilesByPackage(root string) map[string][]string {
	GinkgoHelper()
	byDir := map[string][]string{}
	Expect(filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == root {
				return nil
			}
			name := d.Name()
			if strings.HasPrefix(name, ".") || slices.Contains([]string{"bin", "testdata", "vendor", "dist"}, name) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			byDir[filepath.Dir(path)] = append(byDir[filepath.Dir(path)], path)
		}
		return nil
	})).To(Succeed())
	return byDir
}

// stringConsts are the string constants a package declares.
func stringConsts(files []*ast.File) map[string]string {
	consts := map[string]string{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						consts[name.Name], _ = strconv.Unquote(lit.Value)
					}
				}
			}
		}
	}
	return consts
}

// importName is the name a file imports a package under, or "".
func importName(f *ast.File, path string) string {
	for _, imp := range f.Imports {
		if imp.Path.Value == strconv.Quote(path) {
			if imp.Name != nil {
				return imp.Name.Name
			}
			return filepath.Base(path)
		}
	}
	return ""
}

// metricReader reads metric declarations from calls in one file.
type metricReader struct {
	fset     *token.FileSet
	consts   map[string]string
	alias    string // of client_golang's prometheus package
	problems []string
}

func (r *metricReader) str(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		s, err := strconv.Unquote(e.Value)
		return s, err == nil && e.Kind == token.STRING
	case *ast.Ident:
		s, ok := r.consts[e.Name]
		return s, ok
	}
	return "", false
}

func (r *metricReader) problem(at ast.Node, format string, args ...any) {
	r.problems = append(r.problems, r.fset.Position(at.Pos()).String()+": "+fmt.Sprintf(format, args...))
}

// read returns the metric a call declares, if it is prometheus.NewX(Vec) or
// a method of that name (promauto) given a prometheus.XOpts literal.
func (r *metricReader) read(call *ast.CallExpr) (exportedMetric, bool) {
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return exportedMetric{}, false
	}
	kind := metricConstructors.FindStringSubmatch(sel.Sel.Name)
	if kind == nil {
		return exportedMetric{}, false
	}
	pkg, _ := sel.X.(*ast.Ident)
	direct := pkg != nil && pkg.Name == r.alias
	opts := r.optsLiteral(call, kind[1]+"Opts")
	if opts == nil {
		if direct {
			r.problem(call, "the metric's options are not a prometheus.%sOpts literal", kind[1])
		}
		return exportedMetric{}, false
	}
	var parts [3]string // namespace, subsystem, name
	for _, elt := range opts.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			r.problem(call, "the metric's options are not keyed")
			continue
		}
		key, _ := kv.Key.(*ast.Ident)
		i := -1
		if key != nil {
			i = slices.Index([]string{"Namespace", "Subsystem", "Name"}, key.Name)
		}
		if i < 0 {
			continue
		}
		s, ok := r.str(kv.Value)
		if !ok {
			r.problem(call, "the metric's %s is not a string literal or constant", key.Name)
		}
		parts[i] = s
	}
	m := exportedMetric{Name: prometheus.BuildFQName(parts[0], parts[1], parts[2]), Type: strings.ToLower(kind[1])}
	if kind[2] == "Vec" {
		var labels *ast.CompositeLit
		if len(call.Args) > 1 {
			labels, _ = call.Args[1].(*ast.CompositeLit)
		}
		if labels == nil {
			r.problem(call, "the labels of %s are not a []string literal", m.Name)
			return m, true
		}
		for _, l := range labels.Elts {
			s, ok := r.str(l)
			if !ok {
				r.problem(call, "a label of %s is not a string literal or constant", m.Name)
			}
			m.Labels = append(m.Labels, s)
		}
	}
	slices.Sort(m.Labels)
	return m, true
}

// optsLiteral is the call's first argument when it is a (pointer to a)
// composite literal of prometheus.<typ>.
func (r *metricReader) optsLiteral(call *ast.CallExpr, typ string) *ast.CompositeLit {
	if len(call.Args) == 0 {
		return nil
	}
	arg := call.Args[0]
	if u, ok := arg.(*ast.UnaryExpr); ok && u.Op == token.AND {
		arg = u.X
	}
	lit, ok := arg.(*ast.CompositeLit)
	if !ok {
		return nil
	}
	t, ok := lit.Type.(*ast.SelectorExpr)
	if !ok || t.Sel.Name != typ {
		return nil
	}
	if pkg, ok := t.X.(*ast.Ident); !ok || pkg.Name != r.alias {
		return nil
	}
	return lit
}

// registeredMetrics describes every collector in controller-runtime's
// metrics registry: name and variable labels.
func registeredMetrics() map[string][]string {
	GinkgoHelper()
	reg, ok := ctrlmetrics.Registry.(prometheus.Collector)
	Expect(ok).To(BeTrue(), "controller-runtime's registry can no longer describe itself")
	descs := make(chan *prometheus.Desc, 64)
	go func() {
		reg.Describe(descs)
		close(descs)
	}()
	// Desc has no accessors; its String is Desc{fqName: "...", help: "...", ..., variableLabels: {a,b}}.
	re := regexp.MustCompile(`^Desc\{fqName: "([^"]+)", .*variableLabels: \{([^}]*)\}\}$`)
	out := map[string][]string{}
	for d := range descs {
		m := re.FindStringSubmatch(d.String())
		Expect(m).NotTo(BeNil(), "cannot read %s", d.String())
		var labels []string
		if m[2] != "" {
			for l := range strings.SplitSeq(m[2], ",") {
				labels = append(labels, strings.TrimSuffix(strings.TrimPrefix(l, "c("), ")"))
			}
		}
		slices.Sort(labels)
		out[m[1]] = labels
	}
	return out
}

// checkPromQL parses a PromQL expression and reports every metric it selects
// that the endpoint does not serve, and every label it matches, groups by or
// matches on that the series it applies to do not carry.
func checkPromQL(expr string) []string {
	e, err := promql.NewParser(promql.Options{}).ParseExpr(expr)
	if err != nil {
		return []string{err.Error()}
	}
	series := seriesLabels()
	has := func(set []string, l string) bool { return slices.Contains(set, l) || slices.Contains(targetLabels, l) }
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, expr+": "+fmt.Sprintf(format, args...))
	}
	promql.Inspect(e, func(node promql.Node, _ []promql.Node) error {
		switch n := node.(type) {
		case *promql.VectorSelector:
			known, ok := series[n.Name]
			if !ok {
				report("the operator serves no metric %q", n.Name)
				return nil
			}
			for _, m := range n.LabelMatchers {
				if m.Name != "__name__" && !has(known, m.Name) {
					report("%s has no label %q", n.Name, m.Name)
				}
			}
		case *promql.AggregateExpr:
			inner := resultLabels(n.Expr, series)
			for _, l := range n.Grouping {
				if !has(inner, l) {
					report("%s groups by %q, which %s lacks", n.Op, l, n.Expr)
				}
			}
		case *promql.BinaryExpr:
			if n.VectorMatching == nil {
				return nil
			}
			for _, l := range slices.Concat(n.VectorMatching.MatchingLabels, n.VectorMatching.Include) {
				for _, side := range []promql.Expr{n.LHS, n.RHS} {
					if side.Type() == promql.ValueTypeVector && !has(resultLabels(side, series), l) {
						report("matches on %q, which %s lacks", l, side)
					}
				}
			}
		}
		return nil
	})
	return problems
}

// resultLabels approximates the labels of an expression's result.
func resultLabels(n promql.Node, series map[string][]string) []string {
	switch n := n.(type) {
	case *promql.VectorSelector:
		return series[n.Name]
	case *promql.MatrixSelector:
		return resultLabels(n.VectorSelector, series)
	case *promql.SubqueryExpr:
		return resultLabels(n.Expr, series)
	case *promql.ParenExpr:
		return resultLabels(n.Expr, series)
	case *promql.UnaryExpr:
		return resultLabels(n.Expr, series)
	case *promql.StepInvariantExpr:
		return resultLabels(n.Expr, series)
	case *promql.AggregateExpr:
		if n.Without {
			dropped := func(l string) bool { return slices.Contains(n.Grouping, l) }
			return slices.DeleteFunc(slices.Clone(resultLabels(n.Expr, series)), dropped)
		}
		return n.Grouping
	case *promql.Call:
		var out []string
		for _, a := range n.Args {
			out = append(out, resultLabels(a, series)...)
		}
		if n.Func.Name == "histogram_quantile" {
			out = slices.DeleteFunc(out, func(l string) bool { return l == "le" })
		}
		return out
	case *promql.BinaryExpr:
		groupRight := n.VectorMatching != nil && n.VectorMatching.Card == promql.CardOneToMany
		if groupRight || n.LHS.Type() == promql.ValueTypeScalar {
			return resultLabels(n.RHS, series)
		}
		return resultLabels(n.LHS, series)
	}
	return nil
}

// grafanaVariable is a Grafana template variable in an expression: $name,
// ${name} or ${name:format}.
var grafanaVariable = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)`)

// asPromQL replaces Grafana's variables with values PromQL parses: intervals
// for the built-in ones, a plain word for the dashboard's own, which must be
// defined.
func asPromQL(expr string, defined []string) (string, []string) {
	var problems []string
	out := grafanaVariable.ReplaceAllStringFunc(expr, func(v string) string {
		m := grafanaVariable.FindStringSubmatch(v)
		name := m[1] + m[2]
		switch {
		case slices.Contains([]string{"__rate_interval", "__interval", "__range"}, name):
			return "5m"
		case slices.Contains(defined, name):
			return "x"
		}
		problems = append(problems, fmt.Sprintf("%s: the dashboard defines no variable %q", expr, name))
		return "x"
	})
	return out, problems
}

// dashboard is the part of a Grafana dashboard the specs read.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource json.RawMessage `json:"datasource"`
	GridPos    *struct{ H, W, X, Y int }
	Targets    []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // of a collapsed row
}

// labelValues is Grafana's label_values(selector, label) variable query.
var labelValues = regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)

var _ = Describe("the metrics the chart shows people", func() {
	It("lists exactly the metrics the repository's Go source declares", func() {
		declared, problems := declaredMetrics()
		Expect(problems).To(BeEmpty())
		Expect(declared).To(Equal(normalized(operatorMetrics)),
			"operatorMetrics in charts/monitoring_test.go must list every metric the operator declares, with its labels")
	})

	It("reads metrics wherever the source declares them, and says when it cannot", func() {
		root := GinkgoT().TempDir()
		write := func(path, src string) {
			GinkgoHelper()
			Expect(os.MkdirAll(filepath.Dir(filepath.Join(root, path)), 0o755)).To(Succeed())
			Expect(os.WriteFile(filepath.Join(root, path), []byte(src), 0o600)).To(Succeed())
		}
		write("go.mod", "module example.com/m\n")
		write("a/names.go", "package a\n\nconst subsystem = \"scim\"\n")
		write("a/metrics.go", `package a

import (
	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var (
	requests = promauto.With(nil).NewCounterVec(prom.CounterOpts{
		Namespace: "lio", Subsystem: subsystem, Name: "requests_total",
	}, []string{"code", "method"})
	latency  = prom.NewHistogram(prom.HistogramOpts{Name: "lio_latency_seconds"})
	name     = "lio_dynamic"
	dynamic  = prom.NewGauge(prom.GaugeOpts{Name: name})
)
`)
		gauge := func(pkg, name string) string {
			return "package " + pkg + "\n\nimport \"github.com/prometheus/client_golang/prometheus\"\n\n" +
				"var t = prometheus.NewGauge(prometheus.GaugeOpts{Name: \"" + name + "\"})\n"
		}
		write("a/metrics_test.go", gauge("a", "only_in_tests"))
		write("hack/tools/go.mod", "module tools\n")
		write("hack/tools/t.go", gauge("tools", "another_module"))

		declared, problems := declaredMetricsIn(root)
		Expect(declared).To(HaveKeyWithValue("lio_scim_requests_total",
			exportedMetric{"lio_scim_requests_total", counter, []string{"code", "method"}}))
		Expect(declared).To(HaveKeyWithValue("lio_latency_seconds", exportedMetric{"lio_latency_seconds", histogram, nil}))
		Expect(declared).NotTo(HaveKey("only_in_tests"))
		Expect(declared).NotTo(HaveKey("another_module"))
		Expect(problems).To(ConsistOf(ContainSubstring("the metric's Name is not a string literal or constant")))
	})

	It("lists controller-runtime's metrics as its registry describes them", func() {
		registered := registeredMetrics()
		for _, m := range runtimeMetrics {
			Expect(registered).To(HaveKey(m.Name), "controller-runtime no longer registers %s", m.Name)
			Expect(registered[m.Name]).To(Equal(normalized([]exportedMetric{m})[m.Name].Labels), "labels of %s", m.Name)
		}
		// The operator's own are registered too when its packages are linked in.
		for _, m := range normalized(operatorMetrics) {
			if labels, ok := registered[m.Name]; ok {
				Expect(labels).To(Equal(m.Labels), "labels of %s", m.Name)
			}
		}
	})

	It("catches a metric or label the operator does not export", func() {
		Expect(checkPromQL(`sum by (identity_config) (lightrun_identity_users{state="failed"})`)).To(BeEmpty())
		Expect(checkPromQL(`histogram_quantile(0.9, sum by (le, resource)
			(rate(lightrun_identity_scim_request_duration_seconds_bucket[5m])))`)).To(BeEmpty())
		Expect(checkPromQL(`lightrun_identity_user{state="failed"}`)).
			To(ConsistOf(ContainSubstring(`no metric "lightrun_identity_user"`)))
		Expect(checkPromQL(`lightrun_identity_users{status="failed"}`)).To(ConsistOf(ContainSubstring(`no label "status"`)))
		Expect(checkPromQL(`sum by (code) (rate(lightrun_identity_lightrun_requests_total[5m]))`)).
			To(ConsistOf(ContainSubstring(`groups by "code"`)))
		Expect(checkPromQL(`sum by (state) (sum by (identity_config) (lightrun_identity_users))`)).
			To(ConsistOf(ContainSubstring(`groups by "state"`)))
		Expect(checkPromQL(`sum(x_total) / on (resource) sum by (resource) (lightrun_identity_scim_requests_total)`)).
			To(HaveLen(2))
	})

	Describe("rendered", Ordered, func() {
		var objs []*unstructured.Unstructured
		BeforeAll(func() {
			var err error
			objs, err = render("metrics.serviceMonitor.enabled=true", "metrics.prometheusRule.enabled=true",
				"metrics.grafanaDashboard.enabled=true", "metrics.readerServiceAccounts[0].name=prometheus-k8s",
				"metrics.readerServiceAccounts[0].namespace=monitoring")
			Expect(err).NotTo(HaveOccurred())
		})

		strict := func(o *unstructured.Unstructured, into any) {
			GinkgoHelper()
			data, err := json.Marshal(o.Object)
			Expect(err).NotTo(HaveOccurred())
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.DisallowUnknownFields()
			Expect(dec.Decode(into)).To(Succeed(), "%s has fields the prometheus-operator API lacks", o.GetKind())
		}

		It("alerts only on metrics and labels the operator exports", func() {
			rules := ofKind(objs, "PrometheusRule")
			Expect(rules).To(HaveLen(1))
			var rule monitoringv1.PrometheusRule
			strict(rules[0], &rule)
			var alerts []string
			for _, g := range rule.Spec.Groups {
				for _, r := range g.Rules {
					Expect(r.Alert).NotTo(BeEmpty(), "only alerts are shipped")
					alerts = append(alerts, r.Alert)
					Expect(checkPromQL(r.Expr.String())).To(BeEmpty(), r.Alert)
					Expect(r.Expr.String()).To(ContainSubstring(`job="lio-lightrun-identity-operator-metrics"`),
						"%s selects this release's metrics", r.Alert)
					Expect(r.For).NotTo(BeNil(), r.Alert)
					Expect(r.Labels).To(HaveKey("severity"), r.Alert)
					Expect(r.Annotations).To(HaveKey("summary"), r.Alert)
					Expect(r.Annotations).To(HaveKey("description"), r.Alert)
				}
			}
			Expect(alerts).To(ContainElements(
				"LightrunIdentitySCIMErrorRatioHigh",
				"LightrunIdentityUsersNotSynced",
				"LightrunIdentityUsersFailed",
				"LightrunIdentitySyncLagging",
				"LightrunIdentityBackendUnreachable",
				"LightrunIdentityRateLimited",
			))
		})

		It("ships a dashboard whose panels show only metrics and labels the operator exports", func() {
			cms := ofKind(objs, "ConfigMap")
			Expect(cms).To(HaveLen(1))
			Expect(cms[0].GetLabels()).To(HaveKeyWithValue("grafana_dashboard", "1"))
			data, _, err := unstructured.NestedStringMap(cms[0].Object, "data")
			Expect(err).NotTo(HaveOccurred())
			Expect(data).To(HaveLen(1))
			var d dashboard
			for _, v := range data {
				dec := json.NewDecoder(strings.NewReader(v))
				Expect(dec.Decode(&d)).To(Succeed())
			}
			Expect(d.UID).NotTo(BeEmpty())
			Expect(d.Title).NotTo(BeEmpty())

			defined := make([]string, 0, len(d.Templating.List))
			for _, v := range d.Templating.List {
				defined = append(defined, v.Name)
			}
			Expect(defined).To(ContainElement("datasource"))
			for _, v := range d.Templating.List {
				if v.Type != "query" {
					continue
				}
				q, ok := v.Query.(string)
				if m, isMap := v.Query.(map[string]any); isMap {
					q, ok = m["query"].(string)
				}
				Expect(ok).To(BeTrue(), "variable %s", v.Name)
				lv := labelValues.FindStringSubmatch(q)
				Expect(lv).NotTo(BeNil(), "variable %s: only label_values(selector, label) queries are checked", v.Name)
				expr, problems := asPromQL(lv[1], defined)
				Expect(problems).To(BeEmpty())
				Expect(checkPromQL(expr)).To(BeEmpty(), "variable %s", v.Name)
				metric := regexp.MustCompile(`^\w+`).FindString(expr)
				Expect(seriesLabels()).To(HaveKey(metric), "variable %s", v.Name)
				Expect(slices.Concat(seriesLabels()[metric], targetLabels)).To(ContainElement(lv[2]), "variable %s", v.Name)
			}

			var panels []panel
			for _, p := range d.Panels {
				panels = append(append(panels, p), p.Panels...)
			}
			ids := map[int]bool{}
			targets := 0
			for _, p := range panels {
				Expect(p.GridPos).NotTo(BeNil(), p.Title)
				Expect(ids).NotTo(HaveKey(p.ID), "panel id %d is used twice", p.ID)
				ids[p.ID] = true
				if p.Type == "row" {
					continue
				}
				Expect(string(p.Datasource)).To(ContainSubstring("${datasource}"), p.Title)
				Expect(p.Targets).NotTo(BeEmpty(), p.Title)
				for _, t := range p.Targets {
					expr, problems := asPromQL(t.Expr, defined)
					Expect(problems).To(BeEmpty(), p.Title)
					Expect(checkPromQL(expr)).To(BeEmpty(), p.Title)
					targets++
				}
			}
			Expect(targets).To(BeNumerically(">=", 10))
		})

		It("scrapes the authenticated metrics endpoint, keeping the operator's namespace label", func() {
			monitors := ofKind(objs, "ServiceMonitor")
			Expect(monitors).To(HaveLen(1))
			var sm monitoringv1.ServiceMonitor
			strict(monitors[0], &sm)
			Expect(sm.Spec.Endpoints).To(HaveLen(1))
			ep := sm.Spec.Endpoints[0]
			Expect(ep.HonorLabels).To(BeTrue())
			Expect(ep.Scheme.String()).To(Equal("https"))
			// Deprecated in favour of authorization, which needs a Secret: the
			// file is the only way to present the scraper's own token.
			Expect(ep.BearerTokenFile).NotTo(BeEmpty()) //nolint:staticcheck // see above

			var metricsService *unstructured.Unstructured
			for _, s := range ofKind(objs, "Service") {
				if s.GetName() == "lio-lightrun-identity-operator-metrics" {
					metricsService = s
				}
			}
			Expect(metricsService).NotTo(BeNil())
			ports, _, _ := unstructured.NestedSlice(metricsService.Object, "spec", "ports")
			Expect(ports).To(ContainElement(HaveKeyWithValue("name", ep.Port)))
			for k, v := range sm.Spec.Selector.MatchLabels {
				Expect(metricsService.GetLabels()).To(HaveKeyWithValue(k, v))
			}
			for _, s := range ofKind(objs, "Service") {
				if s != metricsService {
					component := sm.Spec.Selector.MatchLabels["app.kubernetes.io/component"]
					Expect(s.GetLabels()).NotTo(HaveKeyWithValue("app.kubernetes.io/component", component),
						"the ServiceMonitor selects %s too", s.GetName())
				}
			}
		})

		It("lets Prometheus read the metrics", func() {
			var binding *unstructured.Unstructured
			for _, b := range ofKind(objs, "ClusterRoleBinding") {
				if b.GetName() == "lio-lightrun-identity-operator-metrics-reader" {
					binding = b
				}
			}
			Expect(binding).NotTo(BeNil())
			Expect(binding.Object["roleRef"]).To(HaveKeyWithValue("name", "lio-lightrun-identity-operator-metrics-reader"))
			Expect(binding.Object["subjects"]).To(Equal(fromYAML(`
- {kind: ServiceAccount, name: prometheus-k8s, namespace: monitoring}
`)))
		})
	})

	It("documents every metric and every alert in docs/observability.md", func() {
		doc, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "docs", "observability.md"))
		Expect(err).NotTo(HaveOccurred())
		for _, m := range slices.Concat(operatorMetrics, runtimeMetrics) {
			Expect(string(doc)).To(ContainSubstring("`"+m.Name), m.Name)
		}
		objs, err := render("metrics.prometheusRule.enabled=true")
		Expect(err).NotTo(HaveOccurred())
		var rendered []string
		groups, _, _ := unstructured.NestedSlice(ofKind(objs, "PrometheusRule")[0].Object, "spec", "groups")
		for _, g := range groups {
			for _, r := range g.(map[string]any)["rules"].([]any) {
				rendered = append(rendered, r.(map[string]any)["alert"].(string))
			}
		}
		documented := regexp.MustCompile("`(LightrunIdentity\\w+)`").FindAllStringSubmatch(string(doc), -1)
		names := make([]string, 0, len(documented))
		for _, d := range documented {
			names = append(names, d[1])
		}
		Expect(slices.Compact(slices.Sorted(slices.Values(names)))).To(Equal(slices.Sorted(slices.Values(rendered))))
	})

	It("refuses monitoring without metrics", func() {
		for _, feature := range []string{"serviceMonitor", "prometheusRule", "grafanaDashboard"} {
			_, err := render("metrics.enabled=false", "metrics."+feature+".enabled=true")
			Expect(err).To(MatchError(ContainSubstring("metrics.enabled")), feature)
		}
	})
})
