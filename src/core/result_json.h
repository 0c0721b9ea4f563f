// The JSON values behind CodeResultToJson and EventToJson, for front ends that embed them in
// larger documents (the service's replies) instead of parsing the text back.
#ifndef CODEEXEC_SRC_CORE_RESULT_JSON_H_
#define CODEEXEC_SRC_CORE_RESULT_JSON_H_

#include <nlohmann/json.hpp>

#include "codeexec/events.h"
#include "codeexec/types.h"

namespace codeexec {

nlohmann::json CodeResultToJsonValue(const CodeResult& result);
nlohmann::json EventToJsonValue(const ExecutionEvent& event);

}  // namespace codeexec

#endif  // CODEEXEC_SRC_CORE_RESULT_JSON_H_
