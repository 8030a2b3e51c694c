// Safetensors reader and writer (include/tidemark/safetensors.h); the header is parsed and written
// with nlohmann/json (header-only), and every field is validated before any data is trusted.
#include "tidemark/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <set>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if !__has_include(<nlohmann/json.hpp>)
#error "safetensors.cc needs nlohmann/json: install nlohmann-json3-dev (scripts/setup.sh does)"
#endif
#include <nlohmann/json.hpp>

#include "runtime/core/file_io.h"

// Tensor bytes are copied as they are in memory, which is safetensors' byte order only on a
// little-endian host (every platform Tidemark targets).
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "safetensors.cc assumes a little-endian host");

namespace tidemark {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kMaxHeaderBytes = 100u << 20; // As in the reference implementation.
constexpr size_t kMaxRank = 64;
constexpr char kMetadataKey[] = "__metadata__";

// A validated header entry: where a tensor's bytes are in the data section.
struct Entry {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;
};

std::string inQuotes(const std::string &name) { return "'" + name + "'"; }

uint64_t readLittleEndian64(const uint8_t *bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i)
    value = (value << 8) | bytes[i];
  return value;
}

// Maps a safetensors dtype name to a DType; Unimplemented for the dtypes Tidemark does not read.
Status parseDType(const std::string &tensor, const std::string &name, DType *dtype) {
  if (name == "F32") {
    *dtype = DType::kF32;
    return Status::Ok();
  }
  if (name == "I32") {
    *dtype = DType::kI32;
    return Status::Ok();
  }
  static const char *const kOtherDTypes[] = {"BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3",
                                             "I16",  "U16", "F16", "BF16",    "U32",
                                             "I64",  "U64", "F64"};
  for (const char *other : kOtherDTypes)
    if (name == other)
      return Unimplemented("tensor " + inQuotes(tensor) + " has dtype " + name +
                           "; Tidemark reads F32 and I32 tensors only");
  return DataLoss("tensor " + inQuotes(tensor) + " has unknown dtype '" + name + "'");
}

// Parses `json`, rejecting duplicate keys in any object (nlohmann would keep the last one).
Status parseJson(const char *text, size_t size, Json *out) {
  std::vector<std::set<std::string>> openObjects;
  std::string duplicate;
  auto callback = [&](int, Json::parse_event_t event, Json &parsed) {
    if (event == Json::parse_event_t::object_start) {
      openObjects.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !openObjects.empty()) {
      openObjects.pop_back();
    } else if (event == Json::parse_event_t::key && !openObjects.empty() && parsed.is_string()) {
      if (!openObjects.back().insert(parsed.get<std::string>()).second && duplicate.empty())
        duplicate = parsed.get<std::string>();
    }
    return true;
  };
  try {
    *out = Json::parse(text, text + size, callback);
  } catch (const std::exception &error) {
    return DataLoss(std::string("the header is not valid JSON: ") + error.what());
  }
  if (!duplicate.empty())
    return DataLoss("the header lists the key " + inQuotes(duplicate) + " twice");
  if (!out->is_object())
    return DataLoss("the header must be a JSON object");
  return Status::Ok();
}

Status parseMetadata(const Json &value, std::map<std::string, std::string> *metadata) {
  if (!value.is_object())
    return DataLoss("__metadata__ must be an object of strings");
  for (const auto &[key, item] : value.items()) {
    if (!item.is_string())
      return DataLoss("__metadata__ value of " + inQuotes(key) + " must be a string");
    (*metadata)[key] = item.get<std::string>();
  }
  return Status::Ok();
}

// Reads a JSON array of non-negative integers.
Status parseUnsignedArray(const std::string &tensor, const char *field, const Json &value,
                          std::vector<uint64_t> *out) {
  if (!value.is_array())
    return DataLoss("tensor " + inQuotes(tensor) + ": " + field + " must be an array");
  for (const Json &item : value) {
    if (!item.is_number_unsigned())
      return DataLoss("tensor " + inQuotes(tensor) + ": " + field + " entry " + item.dump() +
                      " is not a non-negative integer");
    out->push_back(item.get<uint64_t>());
  }
  return Status::Ok();
}

// Checks the shape and returns its byte size (no overflow: every product stays below 2^62).
Status shapeBytes(const Entry &entry, const std::vector<uint64_t> &dims, uint64_t *bytes) {
  if (dims.size() > kMaxRank)
    return DataLoss("tensor " + inQuotes(entry.name) + " has rank " + std::to_string(dims.size()) +
                    " (more than " + std::to_string(kMaxRank) + ")");
  constexpr uint64_t kLimit = uint64_t(1) << 62;
  uint64_t total = DTypeSize(entry.dtype);
  for (uint64_t dim : dims) {
    if (dim != 0 && total > kLimit / dim)
      return DataLoss("tensor " + inQuotes(entry.name) + " has a shape too large to address");
    total *= dim;
  }
  *bytes = total;
  return Status::Ok();
}

Status parseEntry(const std::string &name, const Json &value, uint64_t dataSize, Entry *entry) {
  entry->name = name;
  if (name.empty())
    return DataLoss("a tensor has an empty name");
  if (!value.is_object())
    return DataLoss("tensor " + inQuotes(name) + " must be an object");
  for (const auto &[key, item] : value.items())
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      return DataLoss("tensor " + inQuotes(name) + " has an unknown field " + inQuotes(key));
  if (!value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets"))
    return DataLoss("tensor " + inQuotes(name) + " needs the fields dtype, shape and data_offsets");
  if (!value["dtype"].is_string())
    return DataLoss("tensor " + inQuotes(name) + ": dtype must be a string");
  TIDEMARK_RETURN_IF_ERROR(parseDType(name, value["dtype"].get<std::string>(), &entry->dtype));
  std::vector<uint64_t> dims, offsets;
  TIDEMARK_RETURN_IF_ERROR(parseUnsignedArray(name, "shape", value["shape"], &dims));
  TIDEMARK_RETURN_IF_ERROR(
      parseUnsignedArray(name, "data_offsets", value["data_offsets"], &offsets));
  uint64_t bytes = 0;
  TIDEMARK_RETURN_IF_ERROR(shapeBytes(*entry, dims, &bytes));
  entry->shape.assign(dims.begin(), dims.end());
  if (offsets.size() != 2)
    return DataLoss("tensor " + inQuotes(name) + ": data_offsets must be [begin, end]");
  entry->begin = offsets[0];
  entry->end = offsets[1];
  std::string range = "[" + std::to_string(entry->begin) + ", " + std::to_string(entry->end) + ")";
  if (entry->begin > entry->end)
    return DataLoss("tensor " + inQuotes(name) + ": data_offsets " + range + " has begin > end");
  if (entry->end > dataSize)
    return DataLoss("tensor " + inQuotes(name) + ": data_offsets " + range +
                    " lie beyond the data section of " + std::to_string(dataSize) + " bytes");
  if (entry->end - entry->begin != bytes)
    return DataLoss("tensor " + inQuotes(name) + ": data_offsets " + range + " hold " +
                    std::to_string(entry->end - entry->begin) + " bytes but its shape needs " +
                    std::to_string(bytes));
  return Status::Ok();
}

// The data section must be covered exactly: sorted by offset, no overlap, no gap, no tail.
Status checkCoverage(std::vector<Entry> *entries, uint64_t dataSize) {
  std::sort(entries->begin(), entries->end(), [](const Entry &a, const Entry &b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  const Entry *previous = nullptr;
  for (const Entry &entry : *entries) {
    if (entry.begin < covered)
      return DataLoss("tensors " + inQuotes(previous->name) + " and " + inQuotes(entry.name) +
                      " overlap (bytes from " + std::to_string(entry.begin) + " to " +
                      std::to_string(covered) + ")");
    if (entry.begin > covered)
      return DataLoss("bytes " + std::to_string(covered) + " to " + std::to_string(entry.begin) +
                      " of the data section belong to no tensor");
    covered = entry.end;
    previous = &entry;
  }
  if (covered != dataSize)
    return DataLoss("the data section has " + std::to_string(dataSize - covered) +
                    " trailing bytes that belong to no tensor");
  return Status::Ok();
}

// Validates the JSON header against a data section of `dataSize` bytes.
Status parseHeader(const char *text, size_t size, uint64_t dataSize, std::vector<Entry> *entries,
                   std::map<std::string, std::string> *metadata) {
  Json header;
  TIDEMARK_RETURN_IF_ERROR(parseJson(text, size, &header));
  for (const auto &[key, value] : header.items()) {
    if (key == kMetadataKey) {
      TIDEMARK_RETURN_IF_ERROR(parseMetadata(value, metadata));
      continue;
    }
    Entry entry;
    TIDEMARK_RETURN_IF_ERROR(parseEntry(key, value, dataSize, &entry));
    entries->push_back(std::move(entry));
  }
  return checkCoverage(entries, dataSize);
}

// Reads the 8-byte length prefix and checks it against the file size.
Status checkHeaderLength(uint64_t headerBytes, uint64_t fileSize) {
  if (headerBytes > fileSize - 8)
    return DataLoss("the header length " + std::to_string(headerBytes) +
                    " runs past the end of "
                    "the file (" +
                    std::to_string(fileSize) + " bytes)");
  if (headerBytes > kMaxHeaderBytes)
    return DataLoss("the header length " + std::to_string(headerBytes) +
                    " exceeds the 100 MiB limit");
  if (headerBytes < 2)
    return DataLoss("the header length " + std::to_string(headerBytes) +
                    " is too short for a JSON object");
  return Status::Ok();
}

WeightTensor tensorOf(Entry &entry) {
  WeightTensor tensor;
  tensor.name = std::move(entry.name);
  tensor.dtype = entry.dtype;
  tensor.shape = std::move(entry.shape);
  return tensor;
}

Status withContext(const std::string &what, const Status &status) {
  return status.ok() ? status : Status(status.code(), what + ": " + status.message());
}

} // namespace

WeightTensor WeightTensor::FromFloats(std::string name, std::vector<int64_t> shape,
                                      const std::vector<float> &values) {
  WeightTensor tensor;
  tensor.name = std::move(name);
  tensor.shape = std::move(shape);
  tensor.bytes.resize(values.size() * sizeof(float));
  if (!values.empty())
    std::memcpy(tensor.bytes.data(), values.data(), tensor.bytes.size());
  return tensor;
}

Status WeightTensor::ToFloats(std::vector<float> *out) const {
  if (dtype != DType::kF32)
    return FailedPrecondition("tensor " + inQuotes(name) + " is " + DTypeName(dtype) + ", not f32");
  out->resize(bytes.size() / sizeof(float));
  if (!out->empty())
    std::memcpy(out->data(), bytes.data(), out->size() * sizeof(float));
  return Status::Ok();
}

int64_t WeightTensor::NumElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

const WeightTensor *WeightsFile::Find(const std::string &name) const {
  for (const WeightTensor &tensor : tensors)
    if (tensor.name == name)
      return &tensor;
  return nullptr;
}

Status ParseSafetensors(const uint8_t *data, size_t size, WeightsFile *out) {
  *out = WeightsFile();
  if (data == nullptr && size != 0)
    return InvalidArgument("safetensors: data is null");
  if (size < 8)
    return DataLoss("safetensors: the file has " + std::to_string(size) +
                    " bytes, fewer than the 8-byte header length");
  uint64_t headerBytes = readLittleEndian64(data);
  TIDEMARK_RETURN_IF_ERROR(withContext("safetensors", checkHeaderLength(headerBytes, size)));
  uint64_t dataSize = size - 8 - headerBytes;
  std::vector<Entry> entries;
  WeightsFile file;
  TIDEMARK_RETURN_IF_ERROR(
      withContext("safetensors", parseHeader(reinterpret_cast<const char *>(data + 8), headerBytes,
                                             dataSize, &entries, &file.metadata)));
  const uint8_t *section = data + 8 + headerBytes;
  for (Entry &entry : entries) {
    WeightTensor tensor = tensorOf(entry);
    tensor.bytes.assign(section + entry.begin, section + entry.end);
    file.tensors.push_back(std::move(tensor));
  }
  *out = std::move(file);
  return Status::Ok();
}

namespace {

Status readExactly(const RegularFile &file, uint64_t offset, void *buffer, size_t bytes) {
  if (bytes == 0)
    return Status::Ok();
  return ReadFileAt(file, offset, buffer, bytes);
}

Status readFile(const RegularFile &file, WeightsFile *out) {
  const uint64_t fileSize = file.size();
  if (fileSize < 8)
    return DataLoss("the file has " + std::to_string(fileSize) +
                    " bytes, fewer than the 8-byte header length");
  uint8_t prefix[8];
  TIDEMARK_RETURN_IF_ERROR(readExactly(file, 0, prefix, 8));
  uint64_t headerBytes = readLittleEndian64(prefix);
  TIDEMARK_RETURN_IF_ERROR(checkHeaderLength(headerBytes, fileSize));
  std::string header(headerBytes, '\0');
  TIDEMARK_RETURN_IF_ERROR(readExactly(file, 8, header.data(), headerBytes));
  std::vector<Entry> entries;
  WeightsFile result;
  uint64_t dataStart = 8 + headerBytes;
  TIDEMARK_RETURN_IF_ERROR(
      parseHeader(header.data(), header.size(), fileSize - dataStart, &entries, &result.metadata));
  for (Entry &entry : entries) {
    WeightTensor tensor = tensorOf(entry);
    tensor.bytes.resize(entry.end - entry.begin);
    TIDEMARK_RETURN_IF_ERROR(
        readExactly(file, dataStart + entry.begin, tensor.bytes.data(), tensor.bytes.size()));
    result.tensors.push_back(std::move(tensor));
  }
  *out = std::move(result);
  return Status::Ok();
}

} // namespace

Status ReadSafetensors(const std::string &path, WeightsFile *out) {
  *out = WeightsFile();
  // A regular file only (a FIFO would block, a device never ends), read to its fstat size.
  RegularFile file;
  TIDEMARK_RETURN_IF_ERROR(OpenRegularFile(path, "weights file", &file));
  try {
    return withContext("weights file '" + path + "'", readFile(file, out));
  } catch (const std::bad_alloc &) {
    return ResourceExhausted("weights file '" + path + "': out of memory while reading");
  }
}

namespace {

// Validates one tensor for writing.
Status checkWritable(const WeightTensor &tensor, const std::set<std::string> &seen) {
  if (tensor.name.empty())
    return InvalidArgument("a tensor has an empty name");
  if (tensor.name == kMetadataKey)
    return InvalidArgument("'__metadata__' is reserved and cannot name a tensor");
  if (seen.count(tensor.name))
    return InvalidArgument("two tensors are named " + inQuotes(tensor.name));
  if (tensor.dtype != DType::kF32 && tensor.dtype != DType::kI32)
    return InvalidArgument("tensor " + inQuotes(tensor.name) + " has an unsupported dtype");
  uint64_t count = 1;
  for (int64_t dim : tensor.shape) {
    if (dim < 0 || (dim != 0 && count > (uint64_t(1) << 56) / static_cast<uint64_t>(dim)))
      return InvalidArgument("tensor " + inQuotes(tensor.name) + " has an invalid shape");
    count *= static_cast<uint64_t>(dim);
  }
  if (count * DTypeSize(tensor.dtype) != tensor.bytes.size())
    return InvalidArgument("tensor " + inQuotes(tensor.name) + " has " +
                           std::to_string(tensor.bytes.size()) + " bytes but its shape needs " +
                           std::to_string(count * DTypeSize(tensor.dtype)));
  return Status::Ok();
}

// The length prefix and the JSON header, padded with spaces to a multiple of 8 bytes overall.
Status buildHeader(const WeightsFile &file, std::string *prefixAndHeader) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!file.metadata.empty())
    header[kMetadataKey] = file.metadata;
  std::set<std::string> seen;
  uint64_t offset = 0;
  for (const WeightTensor &tensor : file.tensors) {
    TIDEMARK_RETURN_IF_ERROR(checkWritable(tensor, seen));
    seen.insert(tensor.name);
    header[tensor.name] = {{"dtype", tensor.dtype == DType::kF32 ? "F32" : "I32"},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + tensor.bytes.size()}}};
    offset += tensor.bytes.size();
  }
  std::string json = header.dump();
  json.append((8 - json.size() % 8) % 8, ' ');
  uint64_t length = json.size();
  prefixAndHeader->assign(8, '\0');
  for (int i = 0; i < 8; ++i)
    (*prefixAndHeader)[i] = static_cast<char>((length >> (8 * i)) & 0xff);
  *prefixAndHeader += json;
  return Status::Ok();
}

Status writeAll(int fd, const void *data, size_t bytes) {
  const char *cursor = static_cast<const char *>(data);
  while (bytes > 0) {
    ssize_t written = ::write(fd, cursor, bytes);
    if (written < 0 && errno == EINTR)
      continue;
    if (written <= 0)
      return Status(StatusCode::kInternal, std::string("write failed: ") + std::strerror(errno));
    cursor += written;
    bytes -= static_cast<size_t>(written);
  }
  return Status::Ok();
}

Status writeToDescriptor(int fd, const std::string &prefixAndHeader, const WeightsFile &file) {
  TIDEMARK_RETURN_IF_ERROR(writeAll(fd, prefixAndHeader.data(), prefixAndHeader.size()));
  for (const WeightTensor &tensor : file.tensors)
    TIDEMARK_RETURN_IF_ERROR(writeAll(fd, tensor.bytes.data(), tensor.bytes.size()));
  if (::fsync(fd) != 0)
    return Status(StatusCode::kInternal, std::string("fsync failed: ") + std::strerror(errno));
  return Status::Ok();
}

} // namespace

Status SerializeSafetensors(const WeightsFile &file, std::vector<uint8_t> *out) {
  std::string prefixAndHeader;
  TIDEMARK_RETURN_IF_ERROR(withContext("safetensors", buildHeader(file, &prefixAndHeader)));
  out->assign(prefixAndHeader.begin(), prefixAndHeader.end());
  for (const WeightTensor &tensor : file.tensors)
    out->insert(out->end(), tensor.bytes.begin(), tensor.bytes.end());
  return Status::Ok();
}

Status WriteSafetensors(const std::string &path, const WeightsFile &file) {
  // The rename below replaces whatever `path` names: refuse anything but a regular file (renaming
  // over /dev/null or a FIFO would replace the special file itself).
  struct stat existing;
  if (::stat(path.c_str(), &existing) == 0 && !S_ISREG(existing.st_mode))
    return InvalidArgument("weights file '" + path + "' exists and is not a regular file");
  std::string prefixAndHeader;
  TIDEMARK_RETURN_IF_ERROR(
      withContext("weights file '" + path + "'", buildHeader(file, &prefixAndHeader)));
  std::string temporary = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(temporary.data());
  if (fd < 0)
    return InvalidArgument("cannot create a temporary file next to '" + path +
                           "': " + std::strerror(errno));
  ::fchmod(fd, 0644);
  Status status = writeToDescriptor(fd, prefixAndHeader, file);
  if (::close(fd) != 0 && status.ok())
    status = Status(StatusCode::kInternal, std::string("close failed: ") + std::strerror(errno));
  if (status.ok() && std::rename(temporary.c_str(), path.c_str()) != 0)
    status = InvalidArgument("cannot rename the temporary file to '" + path +
                             "': " + std::strerror(errno));
  if (!status.ok()) {
    std::remove(temporary.c_str());
    return withContext("weights file '" + path + "'", status);
  }
  return Status::Ok();
}

} // namespace tidemark
