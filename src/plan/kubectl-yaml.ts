// YAML as kubectl reads it. kubectl (sigs.k8s.io/yaml over go-yaml v2) reads YAML 1.1: `yes`, `on`, `y`,
// `no`, `off`, `n` are booleans, `0755` is octal, `<<: *anchor` merges a map; a timestamp stays a string
// and `1:20` is not base 60 there. Reading input that way gives the objects the cluster would get from the
// same file, and writing for 1.1 quotes every string a 1.1 reader would take for something else, which a
// YAML 1.2 reader reads the same.
import type { DocumentOptions, ParseOptions, SchemaOptions, ToStringOptions } from 'yaml';

export const KUBECTL_READ: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) =>
    tags.filter(
      (tag) =>
        typeof tag !== 'object' || (tag.tag !== 'tag:yaml.org,2002:timestamp' && tag.format !== 'TIME'),
    ),
};

export const KUBECTL_WRITE: DocumentOptions & SchemaOptions & ToStringOptions = {
  version: '1.1',
  lineWidth: 0,
};
