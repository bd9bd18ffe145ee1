// The whole llama-quant plugin SDK. A plugin includes this header and nothing else of the framework.
#pragma once

#include "llama_quant/api.h"
#include "llama_quant/backend.h"
#include "llama_quant/diagnostics.h"
#include "llama_quant/generator.h"
#include "llama_quant/linear.h"
#include "llama_quant/params.h"
#include "llama_quant/plugin.h"
#include "llama_quant/sha256.h"
#include "llama_quant/task.h"
#include "llama_quant/tokenizer.h"
