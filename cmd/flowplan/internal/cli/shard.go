package cli

import (
	"flag"
	"fmt"
	"strings"

	"github.com/flowplan/flowplan/engine"
)

// shardFlag is --shard K/N or --shard auto, on plan, apply, drift and
// audit. Which accounts a shard has is the engine's to decide
// (engine.ShardOf); this only reads the value.
type shardFlag struct {
	value string
}

func (f *shardFlag) define(fs *flag.FlagSet) {
	fs.StringVar(&f.value, "shard", "", "work on shard `K/N` of the accounts only (K from 1; all of an account's regions are in one shard), "+
		"or auto: from FLOWPLAN_SHARD_INDEX and FLOWPLAN_SHARD_TOTAL, GitLab's CI_NODE_INDEX and CI_NODE_TOTAL, or Kubernetes' JOB_COMPLETION_INDEX")
}

// resolve returns the shard asked for, nil without --shard. A bad value is
// a usage error; auto says on stderr where it found the shard.
func (f *shardFlag) resolve(cmd string, e *env) (*engine.Shard, error) {
	v := strings.TrimSpace(f.value)
	switch v {
	case "":
		return nil, nil
	case "auto":
		s, from, err := engine.ShardFromEnv(e.getenv)
		if err != nil {
			return nil, &usageError{cmd: cmd, msg: err.Error()}
		}
		fmt.Fprintf(e.Stderr, "Shard %s (from %s).\n", s, from)
		return &s, nil
	}
	s, err := engine.ParseShard(v)
	if err != nil {
		return nil, &usageError{cmd: cmd, msg: "--" + err.Error()}
	}
	return &s, nil
}
