# embed_labels.cmake - turns a label file (one label per line) into a C
# array for tools/onnxrun/labels.c. Run by the build (tools/CMakeLists.txt):
#   cmake -DIN=data/imagenet_labels.txt -DOUT=imagenet_labels.c -DCOUNT=1000 -P embed_labels.cmake
# The generated file fails to compile if the line count is not COUNT.
if(NOT IN OR NOT OUT OR NOT COUNT)
  message(FATAL_ERROR "embed_labels.cmake: pass -DIN=... -DOUT=... -DCOUNT=...")
endif()
file(READ "${IN}" text)
# C string escapes; "?" too, so that no "??x" trigraph can form
string(REPLACE "\r" "" text "${text}")
string(REPLACE "\\" "\\\\" text "${text}")
string(REPLACE "\"" "\\\"" text "${text}")
string(REPLACE "?" "\\?" text "${text}")
string(REGEX REPLACE "\n+$" "" text "${text}")
string(REPLACE "\n" "\",\n    \"" text "${text}")
file(WRITE "${OUT}.tmp"
"/* generated from ${IN} by tools/embed_labels.cmake: do not edit */
extern const char *const or_imagenet_labels_data[];
extern const int or_imagenet_labels_count;

const char *const or_imagenet_labels_data[] = {
    \"${text}\",
};
const int or_imagenet_labels_count = (int)(sizeof or_imagenet_labels_data / sizeof or_imagenet_labels_data[0]);
_Static_assert(sizeof or_imagenet_labels_data / sizeof or_imagenet_labels_data[0] == ${COUNT},
               \"${IN} must have ${COUNT} lines\");
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
