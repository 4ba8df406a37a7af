package awsemu

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	pqgzip "github.com/parquet-go/parquet-go/compress/gzip"
)

// Flow logs deliver lazily. The emulator has no clock of its own to deliver
// on, so whenever a call reads what flow logs deliver (DescribeFlowLogs,
// DescribeLogStreams, GetLogEvents, FilterLogEvents, ListObjectsV2,
// GetObject, HeadObject) it first "pumps": every flow log that could
// deliver now, by the same checks DescribeFlowLogs reports as
// DeliverLogsStatus (delivery.go), gets the deliveries of each window that
// has closed since its last one. A flow log that cannot deliver gets
// nothing, so its newest record ages: that is how a stale destination
// arises. Only network interfaces carry traffic: a VPC or subnet flow log
// delivers for the interfaces in it, and transit gateway flow logs (whose
// per-attachment records and streams are not modelled), Firehose flow logs
// (whose stream the emulator cannot show) and flow logs of resources
// without interfaces deliver nothing.
//
// Windows, all aligned to the Unix epoch and timed by Options.Clock:
//
//   - CloudWatch Logs: one batch per capture window, the flow log's
//     MaxAggregationInterval (60 s or 600 s): a record cannot be published
//     before its capture window closes, and a window is the unit AWS
//     aggregates in. Each interface's records go to the log stream
//     "<eni-id>-all" of the flow log's group ("each network interface has
//     a unique log stream"; flow logs that share a group share the
//     stream). An event's timestamp is its record's start, its ingestion
//     time after the window's end, as the VPC guide's CloudWatch Logs page
//     says.
//   - S3: one file per flow log and 5-minute window ("publishes the log
//     files to the Amazon S3 bucket at 5-minute intervals"), holding the
//     records whose end time falls in the window, for every interface;
//     the file name's time is the window's start and LastModified is
//     later. No file is written for a window without records.
//
// AWS says it typically delivers in about 5 minutes to CloudWatch Logs and
// 10 to S3; the emulator delivers deliveryDelay after a window closes, so
// that tests need not step their clocks far. At most maxBacklog of
// windows is delivered at once (a flow log fixed after a day of failures
// catches up on its last hour only), and each flow log keeps only the
// keepDelivered before its newest delivery, so that a long-running sandbox
// stays small: as if a lifecycle rule and a log group retention removed
// the rest.
const (
	s3FileWindow  = 5 * time.Minute
	deliveryDelay = time.Minute
	maxBacklog    = time.Hour
	keepDelivered = time.Hour
)

// windowOf is a flow log's delivery window, or 0 when it delivers nothing.
func windowOf(fl *flowLog) time.Duration {
	if isTGWType(fl.ResourceType) {
		return 0
	}
	switch fl.DestinationType {
	case "cloud-watch-logs":
		return time.Duration(fl.MaxAggregationInterval) * time.Second
	case "s3":
		return s3FileWindow
	}
	return 0
}

// pumpTracker records which account-regions a pump must look at: those
// whose data changed since their last pump (dirty), those whose next
// window has closed (next), and all of them after a change of global data
// (roles, bucket policies and the like, which every flow log's delivery
// status may read). An account-region that is none of these has nothing
// to deliver: its last pump found no window closing before its next, and
// nothing its deliveries read has changed. Its mu is a leaf lock.
type pumpTracker struct {
	mu    sync.Mutex
	all   bool
	dirty map[scopeKey]bool
	// next is when each account-region's next window closes; absent when
	// none of its flow logs delivers. earliest is the least of them (zero
	// when there are none).
	next     map[scopeKey]time.Time
	earliest time.Time
}

func newPumpTracker() pumpTracker {
	return pumpTracker{all: true, dirty: map[scopeKey]bool{}, next: map[scopeKey]time.Time{}}
}

// scopeChanged records a change of an account-region's data.
func (p *pumpTracker) scopeChanged(k scopeKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dirty[k] = true
}

// allChanged records a change of global data.
func (p *pumpTracker) allChanged() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.all = true
}

// due reports whether a pump could deliver anything.
func (p *pumpTracker) due(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.all || len(p.dirty) > 0 || (!p.earliest.IsZero() && !now.Before(p.earliest))
}

// take returns whether every account-region is due, else the due ones, and
// forgets them: the pump that takes them looks at them.
func (p *pumpTracker) take(now time.Time) (all bool, due map[scopeKey]bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	all, due = p.all, p.dirty
	for k, t := range p.next {
		if !now.Before(t) {
			due[k] = true
		}
	}
	p.all, p.dirty = false, map[scopeKey]bool{}
	return all, due
}

// pumped records when an account-region's next window closes (zero: never).
func (p *pumpTracker) pumped(k scopeKey, next time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if next.IsZero() {
		delete(p.next, k)
	} else {
		p.next[k] = next
	}
}

// reckon works out the earliest next window of all account-regions, after
// a pump; an account-region of a replaced state that is gone is dropped.
func (p *pumpTracker) reckon(st *state) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.earliest = time.Time{}
	for k, t := range p.next {
		if a := st.Accounts[k.account]; a == nil || a.Regions[k.region] == nil {
			delete(p.next, k)
			continue
		}
		p.earliest = earliest(p.earliest, t)
	}
}

// deliver runs the pump when it is due. It is cheap when nothing is: one
// look at the tracker. The pump writes the log streams of many
// account-regions and the objects of buckets, so it holds e.mu for
// writing.
func (e *Emulator) deliver(now time.Time) error {
	if !e.pumps.due(now) {
		return nil
	}
	e.mu.Lock()
	changed := e.pumpLocked(now)
	e.mu.Unlock()
	if changed {
		return e.stateSaved()
	}
	return nil
}

// eniIndex finds a region's interfaces by VPC and subnet, sorted by ID.
type eniIndex struct {
	byVPC, bySubnet map[string][]*eni
}

func indexENIs(r *region) *eniIndex {
	x := &eniIndex{byVPC: map[string][]*eni{}, bySubnet: map[string][]*eni{}}
	for _, id := range slices.Sorted(maps.Keys(r.ENIs)) {
		n := r.ENIs[id]
		x.byVPC[n.VPCID] = append(x.byVPC[n.VPCID], n)
		x.bySubnet[n.SubnetID] = append(x.bySubnet[n.SubnetID], n)
	}
	return x
}

// interfaces are the network interfaces a flow log records.
func (x *eniIndex) interfaces(r *region, fl *flowLog) []*eni {
	switch fl.ResourceType {
	case "VPC":
		return x.byVPC[fl.ResourceID]
	case "Subnet":
		return x.bySubnet[fl.ResourceID]
	case "NetworkInterface":
		if n := r.ENIs[fl.ResourceID]; n != nil {
			return []*eni{n}
		}
	}
	return nil
}

// pumpLocked delivers every due window of every flow log that can deliver
// now, in the account-regions that may have one (pumpTracker), and reports
// whether anything changed. The caller holds e.mu for writing.
func (e *Emulator) pumpLocked(now time.Time) bool {
	st := e.st
	all, due := e.pumps.take(now)
	changed := false
	touched := map[*bucket]bool{}
	for _, acctID := range slices.Sorted(maps.Keys(st.Accounts)) {
		a := st.Accounts[acctID]
		for _, regionName := range slices.Sorted(maps.Keys(a.Regions)) {
			k := scopeKey{acctID, regionName}
			if !all && !due[k] {
				continue
			}
			e.pumpVisits++
			next, c := e.pumpRegion(st, acctID, regionName, a.Regions[regionName], now, touched)
			changed = changed || c
			e.pumps.pumped(k, next)
		}
	}
	for b := range touched {
		trimObjects(b)
	}
	e.pumps.reckon(st)
	return changed
}

// pumpRegion delivers the due windows of an account-region's flow logs,
// adding the buckets it wrote to touched. It returns when its next window
// closes (zero when none of its flow logs delivers) and whether anything
// changed.
func (e *Emulator) pumpRegion(st *state, acctID, regionName string, r *region, now time.Time, touched map[*bucket]bool) (next time.Time, changed bool) {
	var idx *eniIndex
	for _, id := range slices.Sorted(maps.Keys(r.FlowLogs)) {
		fl := r.FlowLogs[id]
		w := windowOf(fl)
		if w == 0 {
			continue
		}
		from := deliveryStart(fl, w, now)
		if now.Before(from.Add(w + deliveryDelay)) {
			next = earliest(next, from.Add(w+deliveryDelay))
			continue
		}
		// The next window closes after the last one that has.
		closed := now.Add(-deliveryDelay).Truncate(w)
		next = earliest(next, closed.Add(w+deliveryDelay))
		if status, _ := e.deliveryStatus(st, acctID, regionName, fl); status != deliverySuccess {
			continue
		}
		if idx == nil {
			idx = indexENIs(r)
		}
		d := &delivery{st: st, acct: acctID, reg: r, fl: fl, enis: idx.interfaces(r, fl)}
		for ws := from; ws.Before(closed); ws = ws.Add(w) {
			if b := d.window(ws, w); b != nil {
				touched[b] = true
			}
		}
		d.trimStreams()
		fl.DeliveredUntil = closed
		changed = true
	}
	return next, changed
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// deliveryStart is the start of a flow log's first undelivered window: the
// window after its last delivery, or the one it was created in, but never
// more than maxBacklog ago.
func deliveryStart(fl *flowLog, w time.Duration, now time.Time) time.Time {
	from := fl.DeliveredUntil
	if from.IsZero() {
		from = fl.Created.UTC().Truncate(w)
	}
	if floor := now.Add(-maxBacklog).Truncate(w); from.Before(floor) {
		from = floor
	}
	return from
}

// delivery is one flow log's pump.
type delivery struct {
	st      *state
	acct    string
	reg     *region
	fl      *flowLog
	enis    []*eni
	fields  []string
	version int
	streams map[*logStream]bool
}

func (d *delivery) format() ([]string, int) {
	if d.fields == nil {
		d.fields = formatFields(d.fl.LogFormat)
		d.version = formatVersion(d.fields)
	}
	return d.fields, d.version
}

// flows are the flows of every interface in the w from ws that the flow
// log records, dropping any that began before it existed.
func (d *delivery) flows(ws time.Time, w time.Duration) []flow {
	var out []flow
	created := d.fl.Created.Unix()
	for _, n := range d.enis {
		for m := ws; m.Before(ws.Add(w)); m = m.Add(flowMinute) {
			for _, f := range flowsFor(d.st.Seed, d.acct, d.reg.Name, n, d.reg.Subnets[n.SubnetID], m) {
				if f.start >= created && f.recordedBy(d.fl) {
					out = append(out, f)
				}
			}
		}
	}
	return out
}

// window delivers the window that starts at ws and returns the bucket it
// wrote to, if any.
func (d *delivery) window(ws time.Time, w time.Duration) *bucket {
	if d.fl.DestinationType == "cloud-watch-logs" {
		d.logEvents(ws, w)
		return nil
	}
	return d.logFile(ws, w)
}

// logEvents appends a capture window's records to each interface's log
// stream. A missing log group receives nothing: AWS would create it when
// the role may logs:CreateLogGroup, and the emulator never creates groups
// (see canDeliverToLogs).
func (d *delivery) logEvents(ws time.Time, w time.Duration) {
	g := d.reg.LogGroups[d.fl.LogGroupName]
	if g == nil {
		return
	}
	fields, version := d.format()
	ingestion := ws.Add(w + deliveryDelay).UnixMilli()
	byStream := map[string][]logEvent{}
	for _, f := range d.flows(ws, w) {
		name := f.eni.ID + "-all"
		byStream[name] = append(byStream[name], logEvent{Timestamp: f.start * 1000, Ingestion: ingestion,
			Message: strings.Join(f.record(fields, version, d.fl), " ")})
	}
	for _, name := range slices.Sorted(maps.Keys(byStream)) {
		if g.Streams == nil {
			g.Streams = map[string]*logStream{}
		}
		s := g.Streams[name]
		if s == nil {
			s = &logStream{Name: name, Created: ingestion}
			g.Streams[name] = s
		}
		s.Events = append(s.Events, byStream[name]...)
		s.LastIngestion = max(s.LastIngestion, ingestion)
		if d.streams == nil {
			d.streams = map[*logStream]bool{}
		}
		d.streams[s] = true
	}
}

// trimStreams orders the streams the pump wrote to and drops events more
// than keepDelivered older than each stream's newest.
func (d *delivery) trimStreams() {
	for s := range d.streams {
		sort.SliceStable(s.Events, func(i, j int) bool {
			a, b := s.Events[i], s.Events[j]
			if a.Timestamp != b.Timestamp {
				return a.Timestamp < b.Timestamp
			}
			return a.Ingestion < b.Ingestion
		})
		last := s.Events[len(s.Events)-1].Timestamp
		cut := sort.Search(len(s.Events), func(i int) bool { return s.Events[i].Timestamp >= last-keepDelivered.Milliseconds() })
		s.Events = slices.Delete(s.Events, 0, cut)
		s.FirstEvent, s.LastEvent = s.Events[0].Timestamp, last
	}
}

// logFile writes the 5-minute window at ws as one object, if it has records.
func (d *delivery) logFile(ws time.Time, w time.Duration) *bucket {
	name, prefix, ok := s3Destination(d.st.partitionOfAccount(d.acct), d.fl.Destination)
	b := d.st.Buckets[name]
	if !ok || b == nil {
		return nil
	}
	// Flows end in their minute, so the window's minutes hold exactly the
	// records whose end time falls in the window.
	recs := d.flows(ws, w)
	if len(recs) == 0 {
		return nil
	}
	sort.SliceStable(recs, func(i, j int) bool { return recs[i].end < recs[j].end })
	fields, version := d.format()
	rows := make([][]string, len(recs))
	for i := range recs {
		rows[i] = recs[i].record(fields, version, d.fl)
	}
	o := d.fl.DestinationOptions
	var body []byte
	contentType := "application/x-gzip"
	if o != nil && o.FileFormat == "parquet" {
		var err error
		if body, err = parquetFile(fields, rows); err != nil {
			// The schema comes from a validated format; failing here is a bug.
			panic(fmt.Sprintf("awsemu: write parquet file for %s: %v", d.fl.ID, err))
		}
		contentType = "application/octet-stream"
	} else {
		body = plainTextFile(fields, rows)
	}
	sum := sha256.Sum256(body)
	key := s3ObjectKey(prefix, d.acct, d.reg.Name, d.fl.ID, o, ws, hex.EncodeToString(sum[:4]))
	if b.Objects == nil {
		b.Objects = map[string]*s3Object{}
	}
	b.Objects[key] = &s3Object{Key: key, LastModified: ws.Add(w + deliveryDelay), Body: body,
		ContentType: contentType, FlowLogID: d.fl.ID}
	return b
}

// trimObjects drops each flow log's objects more than keepDelivered older
// than its newest.
func trimObjects(b *bucket) {
	newest := map[string]time.Time{}
	for _, o := range b.Objects {
		if o.FlowLogID != "" && o.LastModified.After(newest[o.FlowLogID]) {
			newest[o.FlowLogID] = o.LastModified
		}
	}
	for k, o := range b.Objects {
		if o.FlowLogID != "" && o.LastModified.Before(newest[o.FlowLogID].Add(-keepDelivered)) {
			delete(b.Objects, k)
		}
	}
}

// s3Destination splits an S3 LogDestination of partition p into bucket
// and prefix ("" or ending in "/"); ok is false for an ARN of another
// partition or service.
func s3Destination(p, dest string) (name, prefix string, ok bool) {
	rest, ok := strings.CutPrefix(dest, s3ARN(p, ""))
	if !ok {
		return "", "", false
	}
	name, prefix, _ = strings.Cut(rest, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return name, prefix, true
}

// s3ObjectKey is the key of a log file, in the layout of the VPC user
// guide's "Flow log files" section:
//
//	[prefix/]AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/[<HH>/]
//	[prefix/]AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=<yyyy>/month=<mm>/day=<dd>/[hour=<HH>/]
//
// then <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
// (.log.parquet for Parquet files). t is the window's start.
func s3ObjectKey(prefix, acct, regionName, flowLogID string, o *destinationOptions, t time.Time, hash string) string {
	hive := o != nil && o.HiveCompatiblePartitions
	perHour := o != nil && o.PerHourPartition
	ext := ".log.gz"
	if o != nil && o.FileFormat == "parquet" {
		ext = ".log.parquet"
	}
	t = t.UTC()
	// DescribeFlowLogs builds one key per S3 flow log to evaluate the
	// bucket policy: write it into one buffer of the right size.
	var sb strings.Builder
	var scratch [40]byte
	sb.Grow(len(prefix) + 2*len(acct) + 2*len(regionName) + len(flowLogID) + len(hash) + 120)
	sb.WriteString(prefix)
	if hive {
		sb.WriteString("AWSLogs/aws-account-id=")
		sb.WriteString(acct)
		sb.WriteString("/aws-service=vpcflowlogs/aws-region=")
		sb.WriteString(regionName)
		sb.Write(t.AppendFormat(scratch[:0], "/year=2006/month=01/day=02/"))
		if perHour {
			sb.Write(t.AppendFormat(scratch[:0], "hour=15/"))
		}
	} else {
		sb.WriteString("AWSLogs/")
		sb.WriteString(acct)
		sb.WriteString("/vpcflowlogs/")
		sb.WriteString(regionName)
		sb.Write(t.AppendFormat(scratch[:0], "/2006/01/02/"))
		if perHour {
			sb.Write(t.AppendFormat(scratch[:0], "15/"))
		}
	}
	sb.WriteString(acct)
	sb.WriteString("_vpcflowlogs_")
	sb.WriteString(regionName)
	sb.WriteByte('_')
	sb.WriteString(flowLogID)
	sb.Write(t.AppendFormat(scratch[:0], "_20060102T1504Z_"))
	sb.WriteString(hash)
	sb.WriteString(ext)
	return sb.String()
}

// plainTextFile is a plain-text log file: gzip text whose first line is
// the format's field names ("version account-id interface-id ..."), then
// one space-separated record a line.
func plainTextFile(fields []string, rows [][]string) []byte {
	var buf bytes.Buffer
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	zw.Write([]byte(strings.Join(fields, " ") + "\n"))
	for _, row := range rows {
		zw.Write([]byte(strings.Join(row, " ") + "\n"))
	}
	zw.Close()
	return buf.Bytes()
}

// gzipWriters are reused: a compressor's state is most of a megabyte.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// parquetSchemas caches one row type per format.
var parquetSchemas sync.Map // format string → *parquetSchema

type parquetSchema struct {
	row    reflect.Type
	schema *parquet.Schema
}

// parquetColumn is a field's column name in AWS's Parquet files.
// ASSUMPTION: AWS's pages give each field's Parquet type but not its
// column name; Athena's Parquet tables for flow logs (whose columns are
// matched by name) name them with underscores, so the files must too.
func parquetColumn(field string) string { return strings.ReplaceAll(field, "-", "_") }

func schemaFor(fields []string) *parquetSchema {
	key := strings.Join(fields, " ")
	if s, ok := parquetSchemas.Load(key); ok {
		return s.(*parquetSchema)
	}
	sf := make([]reflect.StructField, len(fields))
	for i, f := range fields {
		typ := reflect.TypeFor[*string]()
		switch {
		case parquetInt32[f]:
			typ = reflect.TypeFor[*int32]()
		case parquetInt64[f]:
			typ = reflect.TypeFor[*int64]()
		}
		sf[i] = reflect.StructField{Name: "F" + strconv.Itoa(i), Type: typ,
			Tag: reflect.StructTag(`parquet:"` + parquetColumn(f) + `,optional"`)}
	}
	row := reflect.StructOf(sf)
	s := &parquetSchema{row: row, schema: parquet.SchemaOf(reflect.New(row).Interface())}
	parquetSchemas.Store(key, s)
	return s
}

// parquetFile is a Parquet log file, GZIP-compressed, with one optional
// column per field in the format's order and the Parquet types of the
// "Available fields" table. A "-" is a null.
func parquetFile(fields []string, rows [][]string) ([]byte, error) {
	s := schemaFor(fields)
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, s.schema, parquet.Compression(&pqgzip.Codec{}))
	for _, row := range rows {
		v := reflect.New(s.row).Elem()
		for i, f := range fields {
			if row[i] == "-" {
				continue
			}
			switch {
			case parquetInt32[f]:
				n, err := strconv.ParseInt(row[i], 10, 32)
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", f, err)
				}
				x := int32(n)
				v.Field(i).Set(reflect.ValueOf(&x))
			case parquetInt64[f]:
				n, err := strconv.ParseInt(row[i], 10, 64)
				if err != nil {
					return nil, fmt.Errorf("field %s: %w", f, err)
				}
				v.Field(i).Set(reflect.ValueOf(&n))
			default:
				x := row[i]
				v.Field(i).Set(reflect.ValueOf(&x))
			}
		}
		if err := w.Write(v.Addr().Interface()); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
