package queries

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/flowplan/flowplan/spec"
	"github.com/flowplan/flowplan/spec/logformat"
)

// Options choose what Athena and Insights print.
type Options struct {
	// Rule limits the output to the destination of the rule with this
	// name; empty means every rule.
	Rule string
	// Database is the Athena database the tables go in (Athena only);
	// empty means DefaultDatabase.
	Database string
	// TablePrefix starts every table name (Athena only); empty means
	// DefaultTablePrefix.
	TablePrefix string
}

// Defaults of Options.
const (
	DefaultDatabase    = "default"
	DefaultTablePrefix = "vpc_flow_logs_"
)

// ErrNothingToQuery is returned, wrapped, when the spec (or the chosen
// rule) has no destination of the kind asked for.
var ErrNothingToQuery = errors.New("nothing to query")

// Partition projection ranges start where the layouts do: flow logs
// delivered to S3 since 2018, Hive-compatible prefixes since 2021. Athena
// projects no partition after NOW.
const (
	defaultLayoutStart = "2018/01/01"
	hiveLayoutStart    = "2021"
)

var athenaName = regexp.MustCompile(`^[a-z0-9_]{1,255}$`)

// table is one CREATE EXTERNAL TABLE: one S3 destination (bucket, prefix,
// file format, partition options) and one field list.
type table struct {
	name     string
	rules    []string
	bucket   string
	prefix   string // "" or ending in "/"
	parquet  bool
	hive     bool
	perHour  bool
	fields   []string
	family   logformat.Target
	traffic  []string // the rules' traffic types
	accounts []string // known account IDs, sorted
	org      bool     // organization members found by discovery write here too
	regions  []string // sorted
	warnings []string
}

func (o Options) database() string    { return cmpOr(o.Database, DefaultDatabase) }
func (o Options) tablePrefix() string { return cmpOr(o.TablePrefix, DefaultTablePrefix) }

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// check validates the names the options put into statements.
func (o Options) check() error {
	if !athenaName.MatchString(o.database()) {
		return fmt.Errorf("database %q: Athena database names are lower case letters, digits and underscores", o.Database)
	}
	if o.TablePrefix != "" && !athenaName.MatchString(o.TablePrefix) {
		return fmt.Errorf("table prefix %q: Athena table names are lower case letters, digits and underscores", o.TablePrefix)
	}
	return nil
}

// findRule returns the rule named name, or an error that lists the rules.
func findRule(s *spec.Spec, name string) (*spec.Rule, error) {
	var names []string
	for i := range s.Rules {
		if s.Rules[i].Name == name {
			return &s.Rules[i], nil
		}
		names = append(names, s.Rules[i].Name)
	}
	msg := fmt.Sprintf("rule %q is not in spec %s (rules: %s)", name, s.Name, strings.Join(names, ", "))
	if sug := logformat.Suggest(name, names); sug != "" {
		msg = fmt.Sprintf("rule %q is not in spec %s; did you mean %q?", name, s.Name, sug)
	}
	return nil, errors.New(msg)
}

// tables groups the spec's S3 rules by destination and field list, in the
// order of their first rule.
func tables(s *spec.Spec, o Options) []*table {
	var out []*table
	byKey := map[string]*table{}
	for i := range s.Rules {
		r := &s.Rules[i]
		d := r.Destination.S3
		if d == nil {
			continue
		}
		bucket := d.BucketARN[strings.LastIndex(d.BucketARN, ":")+1:]
		fields, err := logformat.Parse(r.LogFormat)
		if err != nil {
			continue // a loaded spec's formats parse
		}
		key := strings.Join([]string{bucket, d.Prefix, d.FileFormat, fmt.Sprint(d.HiveCompatiblePartitions, d.PerHourPartition), r.LogFormat}, "|")
		t := byKey[key]
		if t == nil {
			t = &table{name: o.tablePrefix() + strings.ReplaceAll(r.Name, "-", "_"), bucket: bucket, prefix: d.Prefix,
				parquet: d.FileFormat == "parquet", hive: d.HiveCompatiblePartitions, perHour: d.PerHourPartition,
				fields: fields, family: r.Family()}
			byKey[key] = t
			out = append(out, t)
		}
		t.rules = append(t.rules, r.Name)
		t.traffic = append(t.traffic, r.TrafficType)
		for _, a := range s.Scope(r) {
			if a.Organization {
				t.org = true
			} else if !slices.Contains(t.accounts, a.ID) {
				t.accounts = append(t.accounts, a.ID)
			}
			for _, region := range a.Regions {
				if !slices.Contains(t.regions, region) {
					t.regions = append(t.regions, region)
				}
			}
		}
	}
	for _, t := range out {
		slices.Sort(t.accounts)
		slices.Sort(t.regions)
	}
	// Tables over the same folder read each other's files.
	for _, t := range out {
		for _, u := range out {
			if t != u && t.bucket == u.bucket && t.prefix == u.prefix && t.hive == u.hive {
				t.warnings = append(t.warnings, fmt.Sprintf("rule %s (table %s) delivers %s under the same S3 folder: this table reads those files too, and their rows do not fit these columns; give the rules different prefixes",
					strings.Join(u.rules, ", "), u.name, u.describe()))
			}
		}
	}
	return out
}

func (t *table) describe() string {
	format := "plain-text"
	if t.parquet {
		format = "Parquet"
	}
	var parts []string
	if t.perHour {
		parts = append(parts, "per-hour partitions")
	}
	if len(parts) == 0 {
		return format + " files"
	}
	return format + " files with " + strings.Join(parts, ", ")
}

// Athena prints one CREATE EXTERNAL TABLE statement per distinct S3
// destination of the spec's rules (bucket, prefix, file format, partition
// options and field list), each with partition projection over the
// accounts and regions the spec covers there, and three starter queries as
// comments. It reads nothing but the spec.
func Athena(s *spec.Spec, o Options) (string, error) {
	if err := o.check(); err != nil {
		return "", err
	}
	all := tables(s, o)
	if o.Rule != "" {
		r, err := findRule(s, o.Rule)
		if err != nil {
			return "", err
		}
		if r.Destination.S3 == nil {
			return "", fmt.Errorf("%w: rule %s delivers to %s, not to S3 (flowplan insights covers CloudWatch Logs)", ErrNothingToQuery, r.Name, r.Destination.Type())
		}
		all = slices.DeleteFunc(all, func(t *table) bool { return !slices.Contains(t.rules, o.Rule) })
	}
	if len(all) == 0 {
		return "", fmt.Errorf("%w: spec %s has no rule that delivers to S3 (flowplan insights covers CloudWatch Logs)", ErrNothingToQuery, s.Name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- Athena tables for the flow logs of spec %s, written by flowplan athena from the spec alone.\n", s.Name)
	b.WriteString("-- Each table reads one S3 destination with partition projection: no MSCK REPAIR TABLE, no crawler.\n")
	for _, t := range all {
		b.WriteString("\n")
		t.write(&b, s, o)
	}
	return b.String(), nil
}

// partition is a partition column and its projection properties.
type partition struct {
	name  string
	props [][2]string
}

func (t *table) partitions() []partition {
	var accounts partition
	if t.org {
		accounts = partition{"aws_account_id", [][2]string{{"type", "injected"}}}
	} else {
		accounts = partition{"aws_account_id", [][2]string{{"type", "enum"}, {"values", strings.Join(t.accounts, ",")}}}
	}
	regions := partition{"aws_region", [][2]string{{"type", "enum"}, {"values", strings.Join(t.regions, ",")}}}
	hour := partition{"hour", [][2]string{{"type", "integer"}, {"range", "0,23"}, {"digits", "2"}}}
	out := []partition{accounts, regions}
	if t.hive {
		out = append(out,
			partition{"year", [][2]string{{"type", "date"}, {"format", "yyyy"}, {"range", hiveLayoutStart + ",NOW"}, {"interval", "1"}, {"interval.unit", "YEARS"}}},
			partition{"month", [][2]string{{"type", "integer"}, {"range", "1,12"}, {"digits", "2"}}},
			partition{"day", [][2]string{{"type", "integer"}, {"range", "1,31"}, {"digits", "2"}}})
	} else {
		out = append(out, partition{"day", [][2]string{{"type", "date"}, {"format", "yyyy/MM/dd"}, {"range", defaultLayoutStart + ",NOW"},
			{"interval", "1"}, {"interval.unit", "DAYS"}}})
	}
	if t.perHour {
		out = append(out, hour)
	}
	return out
}

// root is the table's LOCATION: the AWSLogs folder under the prefix.
func (t *table) root() string { return "s3://" + t.bucket + "/" + t.prefix + "AWSLogs/" }

// template is the storage.location.template over the partition columns.
func (t *table) template() string {
	p := t.root()
	if t.hive {
		p += "aws-account-id=${aws_account_id}/aws-service=vpcflowlogs/aws-region=${aws_region}/year=${year}/month=${month}/day=${day}/"
		if t.perHour {
			p += "hour=${hour}/"
		}
		return p
	}
	p += "${aws_account_id}/vpcflowlogs/${aws_region}/${day}/"
	if t.perHour {
		p += "${hour}/"
	}
	return p
}

// layout is the S3 layout as the VPC guide writes it, for the comment.
func (t *table) layout() string {
	p := t.root()
	if t.hive {
		p += "aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/year={yyyy}/month={MM}/day={dd}/"
		if t.perHour {
			p += "hour={HH}/"
		}
		return p
	}
	p += "{account}/vpcflowlogs/{region}/{yyyy}/{MM}/{dd}/"
	if t.perHour {
		p += "{HH}/"
	}
	return p
}

func (t *table) write(b *strings.Builder, s *spec.Spec, o Options) {
	plural := ""
	if len(t.rules) > 1 {
		plural = "s"
	}
	fmt.Fprintf(b, "-- Rule%s %s: %s in\n--   %s\n", plural, strings.Join(t.rules, ", "), t.describe(), t.layout())
	accounts := strings.Join(t.accounts, ", ")
	switch {
	case t.org && accounts == "":
		accounts = "the organization's accounts"
	case t.org:
		accounts += " and the organization's accounts"
	}
	fmt.Fprintf(b, "-- Accounts: %s. Regions: %s.\n", accounts, strings.Join(t.regions, ", "))
	if t.org {
		b.WriteString("-- The organization's accounts are found at plan time, not in the spec, so aws_account_id is an\n" +
			"-- injected projection: every query must name its account, as in WHERE aws_account_id = '123456789012'.\n")
	}
	for _, w := range t.warnings {
		fmt.Fprintf(b, "-- Warning: %s.\n", w)
	}
	fmt.Fprintf(b, "CREATE EXTERNAL TABLE IF NOT EXISTS %s.%s (\n", ddlIdent(o.database()), ddlIdent(t.name))
	for i, f := range t.fields {
		sep := ","
		if i == len(t.fields)-1 {
			sep = ""
		}
		fmt.Fprintf(b, "  %s %s%s\n", ddlIdent(columnName(f)), columnTypes[f], sep)
	}
	b.WriteString(")\nPARTITIONED BY (\n")
	parts := t.partitions()
	for i, p := range parts {
		sep := ","
		if i == len(parts)-1 {
			sep = ""
		}
		fmt.Fprintf(b, "  %s string%s\n", ddlIdent(p.name), sep)
	}
	b.WriteString(")\n")
	if t.parquet {
		b.WriteString("STORED AS PARQUET\n")
	} else {
		// Fields are space-separated; AWS writes "-" for a value that does
		// not apply, which reads as NULL in every column.
		b.WriteString("ROW FORMAT DELIMITED FIELDS TERMINATED BY ' ' NULL DEFINED AS '-'\n")
	}
	fmt.Fprintf(b, "LOCATION '%s'\nTBLPROPERTIES (\n", t.root())
	var props [][2]string
	if !t.parquet {
		// Each plain-text file starts with a header line of field names.
		props = append(props, [2]string{"skip.header.line.count", "1"})
	}
	props = append(props, [2]string{"projection.enabled", "true"})
	for _, p := range parts {
		for _, kv := range p.props {
			props = append(props, [2]string{"projection." + p.name + "." + kv[0], kv[1]})
		}
	}
	props = append(props, [2]string{"storage.location.template", t.template()})
	for i, kv := range props {
		sep := ","
		if i == len(props)-1 {
			sep = ""
		}
		fmt.Fprintf(b, "  '%s' = '%s'%s\n", kv[0], kv[1], sep)
	}
	b.WriteString(");\n")
	t.starters(b, o)
}
