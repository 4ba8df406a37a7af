package awsemu

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
)

// apiError is an AWS error response. Handlers return it; each protocol
// encodes it its own way.
type apiError struct {
	Status  int
	Code    string
	Message string
	// Fields are extra members of the error body: S3's BucketName and
	// Region, Organizations' Reason.
	Fields map[string]string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newError(status int, code, format string, args ...any) *apiError {
	return &apiError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func (e *apiError) with(key, value string) *apiError {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	e.Fields[key] = value
	return e
}

// badRequest is the common 400 client error.
func badRequest(code, format string, args ...any) *apiError {
	return newError(http.StatusBadRequest, code, format, args...)
}

const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

const (
	ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"
	iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"
	stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"
	s3Namespace  = "http://s3.amazonaws.com/doc/2006-03-01/"
)

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// ec2Meta is embedded first in every EC2 response body, as EC2 puts
// requestId before the result elements.
type ec2Meta struct {
	RequestID string `xml:"requestId"`
}

func (m *ec2Meta) setRequestID(id string) { m.RequestID = id }

type requestIDSetter interface{ setRequestID(string) }

// writeEC2 encodes an EC2 query-protocol response: <ActionResponse
// xmlns=...><requestId/>...</ActionResponse>.
func writeEC2(w http.ResponseWriter, action, requestID string, body any) error {
	if s, ok := body.(requestIDSetter); ok {
		s.setRequestID(requestID)
	}
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ec2Namespace}}}
	if err := enc.EncodeElement(body, start); err != nil {
		return err
	}
	writeBody(w, http.StatusOK, "text/xml;charset=UTF-8", buf.Bytes())
	return nil
}

func writeEC2Error(w http.ResponseWriter, requestID string, e *apiError) {
	type errXML struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type respXML struct {
		XMLName   xml.Name `xml:"Response"`
		Errors    []errXML `xml:"Errors>Error"`
		RequestID string   `xml:"RequestID"`
	}
	out, _ := xml.Marshal(respXML{Errors: []errXML{{e.Code, e.Message}}, RequestID: requestID})
	writeBody(w, e.Status, "text/xml;charset=UTF-8", append([]byte(xmlHeader), out...))
}

// writeQuery encodes an IAM or STS response: <ActionResponse><ActionResult>
// ...</ActionResult><ResponseMetadata><RequestId/></ResponseMetadata>. A nil
// result omits the Result element, as IAM does for actions without output.
func writeQuery(w http.ResponseWriter, namespace, action, requestID string, result any) error {
	var buf bytes.Buffer
	buf.WriteString(xmlHeader)
	enc := xml.NewEncoder(&buf)
	start := xml.StartElement{Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: namespace}}}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if result != nil {
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			return err
		}
	}
	meta := struct {
		RequestID string `xml:"RequestId"`
	}{requestID}
	if err := enc.EncodeElement(meta, xml.StartElement{Name: xml.Name{Local: "ResponseMetadata"}}); err != nil {
		return err
	}
	if err := enc.EncodeToken(start.End()); err != nil {
		return err
	}
	if err := enc.Flush(); err != nil {
		return err
	}
	writeBody(w, http.StatusOK, "text/xml", buf.Bytes())
	return nil
}

func writeQueryError(w http.ResponseWriter, namespace, requestID string, e *apiError) {
	type errXML struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type respXML struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Xmlns     string   `xml:"xmlns,attr"`
		Error     errXML   `xml:"Error"`
		RequestID string   `xml:"RequestId"`
	}
	fault := "Sender"
	if e.Status >= 500 {
		fault = "Receiver"
	}
	out, _ := xml.Marshal(respXML{Xmlns: namespace, Error: errXML{fault, e.Code, e.Message}, RequestID: requestID})
	writeBody(w, e.Status, "text/xml", append([]byte(xmlHeader), out...))
}

const jsonContentType = "application/x-amz-json-1.1"

func writeJSON(w http.ResponseWriter, requestID string, body any) error {
	if body == nil {
		body = struct{}{}
	}
	out, err := json.Marshal(body)
	if err != nil {
		return err
	}
	w.Header().Set("X-Amzn-RequestId", requestID)
	writeBody(w, http.StatusOK, jsonContentType, out)
	return nil
}

// writeJSONError encodes an awsJson1.1 error. messageKey is "message" for
// CloudWatch Logs and Firehose, "Message" for Organizations.
func writeJSONError(w http.ResponseWriter, requestID, messageKey string, e *apiError) {
	body := map[string]string{"__type": e.Code, messageKey: e.Message}
	for k, v := range e.Fields {
		body[k] = v
	}
	out, _ := json.Marshal(body)
	w.Header().Set("X-Amzn-RequestId", requestID)
	writeBody(w, e.Status, jsonContentType, out)
}

// itemList encodes a list as <name><item>...</item></name>, keeping the
// wrapper element when the list is empty, as EC2 does.
type itemList[T any] struct {
	Items []T `xml:"item"`
}

func items[T any](list []T) itemList[T] { return itemList[T]{Items: list} }

// memberList is IAM's and STS's list encoding: <name><member>...</member></name>.
type memberList[T any] struct {
	Members []T `xml:"member"`
}

func members[T any](list []T) memberList[T] { return memberList[T]{Members: list} }

type xmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func ec2Tags(t tags) itemList[xmlTag] {
	out := make([]xmlTag, 0, len(t))
	for _, k := range t.sortedKeys() {
		out = append(out, xmlTag{k, t[k]})
	}
	return items(out)
}
