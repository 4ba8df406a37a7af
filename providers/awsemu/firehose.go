package awsemu

var firehoseActions = map[string]*action{
	"DescribeDeliveryStream": {fn: firehoseDescribeDeliveryStream},
}

func firehoseDescribeDeliveryStream(c *call) (any, error) {
	var in struct {
		DeliveryStreamName string `json:"DeliveryStreamName"`
		Limit              *int   `json:"Limit"`
	}
	if err := c.decodeJSON(&in); err != nil {
		return nil, err
	}
	if in.Limit != nil && (*in.Limit < 1 || *in.Limit > 10000) {
		return nil, badRequest("InvalidArgumentException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", *in.Limit)
	}
	ds := c.reg().DeliveryStreams[in.DeliveryStreamName]
	if ds == nil {
		return nil, badRequest("ResourceNotFoundException", "Firehose %s under account %s not found.", in.DeliveryStreamName, c.key.Account)
	}
	return map[string]any{"DeliveryStreamDescription": map[string]any{
		"DeliveryStreamName":                    ds.Name,
		"DeliveryStreamARN":                     c.arn("firehose", "deliverystream/"+ds.Name),
		"DeliveryStreamStatus":                  ds.Status,
		"DeliveryStreamType":                    "DirectPut",
		"VersionId":                             "1",
		"CreateTimestamp":                       float64(ds.Created.Unix()),
		"DeliveryStreamEncryptionConfiguration": map[string]any{"Status": "DISABLED"},
		"Destinations":                          []any{},
		"HasMoreDestinations":                   false,
	}}, nil
}
