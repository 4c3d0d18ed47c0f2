// YAML as kubectl reads it. kubectl (sigs.k8s.io/yaml over go-yaml v2) reads YAML 1.1: `yes`, `on`, `y`,
// `no`, `off`, `n` are booleans, `0755` is octal, `<<: *anchor` merges a map; a timestamp stays a string,
// `1:20` is not base 60 and a lone `.` is not a float there. Reading input that way gives the objects the
// cluster would get from the same file, and writing for 1.1 quotes every string a 1.1 reader would take
// for something else, which a YAML 1.2 reader reads the same.
import type { DocumentOptions, ParseOptions, SchemaOptions, ToStringOptions } from 'yaml';

const FLOAT = 'tag:yaml.org,2002:float';
// go-yaml's float needs a digit: a plain `.` (as in `exportTo: [.]`) is the string ".", not NaN.
const FLOAT_WITH_DIGIT = /^[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)$/;

export const KUBECTL_READ: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) =>
    tags
      .filter(
        (tag) =>
          typeof tag !== 'object' || (tag.tag !== 'tag:yaml.org,2002:timestamp' && tag.format !== 'TIME'),
      )
      .map((tag) =>
        typeof tag === 'object' && tag.tag === FLOAT && !tag.format && tag.test?.test('.')
          ? { ...tag, test: FLOAT_WITH_DIGIT }
          : tag,
      ),
};

export const KUBECTL_WRITE: DocumentOptions & SchemaOptions & ToStringOptions = {
  version: '1.1',
  lineWidth: 0,
};
