// Crash-safe file writes: a reader (or a rerun after a kill) sees the old file or the complete new one,
// never a half-written one.
#pragma once

#include <filesystem>
#include <string>

namespace lq {

// Writes `content` to a temporary file in the same folder, fsyncs it, renames it over `path` and fsyncs
// the folder. Creates the folder when missing. Throws lq::Error naming the file on failure.
void write_file_atomically(const std::filesystem::path& path, const std::string& content);

// Whether `name` is one of the temporary files write_file_atomically uses (they start with ".lq-tmp.").
bool is_atomic_temp_name(const std::string& name);

// Removes temporary files in `dir` left by processes that no longer run (a killed sweep).
void remove_stale_temp_files(const std::filesystem::path& dir);

// Reads a whole file; throws lq::Error naming it when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace lq
