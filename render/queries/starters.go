package queries

import (
	"fmt"
	"slices"
	"strings"
)

// A starter query is what most people ask first of flow logs; each is
// written for the fields the table has, or explains which one it lacks.
type starter struct {
	title string
	// lines of the query, or nil with missing set
	lines   []string
	missing string
}

// starters writes the table's three starter queries as comments.
func (t *table) starters(b *strings.Builder, o Options) {
	has := func(f string) bool { return slices.Contains(t.fields, f) }
	col := func(f string) string { return sqlIdent(columnName(f)) }
	from := "FROM " + sqlIdent(o.database()) + "." + sqlIdent(t.name)
	// Every query prunes to today's and yesterday's partitions (UTC) and
	// then keeps the records of the period it asks about.
	var where []string
	if t.hive {
		for _, p := range [][2]string{{"year", "%Y"}, {"month", "%m"}, {"day", "%d"}} {
			where = append(where, fmt.Sprintf("%s IN (date_format(current_date, '%s'), date_format(current_date - interval '1' day, '%s'))", p[0], p[1], p[1]))
		}
	} else {
		where = append(where, "day IN (date_format(current_date, '%Y/%m/%d'), date_format(current_date - interval '1' day, '%Y/%m/%d'))")
	}
	if t.org {
		where = append(where, "aws_account_id = '123456789012'  -- the account to read (injected projection)")
	}
	timeField := ""
	for _, f := range []string{"start", "end"} {
		if has(f) {
			timeField = f
			break
		}
	}
	since := func(period string) []string {
		if timeField == "" {
			return nil
		}
		return []string{fmt.Sprintf("%s >= to_unixtime(current_timestamp - interval '1' %s)", col(timeField), period)}
	}
	period := func(p string) string {
		if timeField == "" {
			return "today and yesterday (UTC; the format has no start or end field)"
		}
		return "the last " + p
	}
	sum := func(f, as string) string {
		if has(f) {
			return fmt.Sprintf(", sum(%s) AS %s", col(f), as)
		}
		return ""
	}
	query := func(sel string, filters []string, group, order string) []string {
		out := []string{sel, from}
		for i, w := range append(filters, where...) {
			kw := "  AND "
			if i == 0 {
				kw = "WHERE "
			}
			out = append(out, kw+w)
		}
		return append(out, "GROUP BY "+group, "ORDER BY "+order)
	}
	var qs []starter

	rejected := starter{title: "Top rejected sources in " + period("day")}
	switch {
	case !slices.ContainsFunc(t.traffic, func(tt string) bool { return tt != "ACCEPT" }):
		rejected.missing = "the table's rules record accepted traffic only"
	case !has("action"):
		rejected.missing = "the format has no action field"
	case !has("srcaddr"):
		rejected.missing = "the format has no srcaddr field"
	default:
		rejected.lines = query("SELECT "+col("srcaddr")+", count(*) AS flows"+sum("packets", "packets"),
			append([]string{col("action") + " = 'REJECT'"}, since("day")...), col("srcaddr"), "flows DESC LIMIT 20;")
	}
	qs = append(qs, rejected)

	ports := starter{title: "Traffic by destination port in " + period("day")}
	if !has("dstport") {
		ports.missing = "the format has no dstport field"
	} else {
		order := "flows DESC LIMIT 20;"
		if has("bytes") {
			order = "bytes DESC LIMIT 20;"
		}
		group := col("dstport")
		sel := "SELECT " + col("dstport")
		if has("protocol") {
			group += ", " + col("protocol")
			sel += ", " + col("protocol")
		}
		ports.lines = query(sel+", count(*) AS flows"+sum("bytes", "bytes"), since("day"), group, order)
	}
	qs = append(qs, ports)

	perENI := starter{title: "Flows per ENI in " + period("hour")}
	switch {
	case has("interface-id"):
		perENI.lines = query("SELECT "+col("interface-id")+", count(*) AS flows"+sum("bytes", "bytes"), since("hour"),
			col("interface-id"), "flows DESC;")
	case has("tgw-attachment-id"):
		perENI.title = "Flows per transit gateway attachment in " + period("hour")
		perENI.lines = query("SELECT "+col("tgw-attachment-id")+", count(*) AS flows"+sum("bytes", "bytes"), since("hour"),
			col("tgw-attachment-id"), "flows DESC;")
	default:
		perENI.missing = "the format has no interface-id field"
	}
	qs = append(qs, perENI)

	b.WriteString("--\n-- Starter queries:\n")
	for _, q := range qs {
		b.WriteString("--\n")
		if q.lines == nil {
			fmt.Fprintf(b, "-- %s: not available, %s.\n", q.title, q.missing)
			continue
		}
		fmt.Fprintf(b, "-- %s:\n", q.title)
		for _, l := range q.lines {
			fmt.Fprintf(b, "--   %s\n", l)
		}
	}
}
