//===- TideOps.h - tide dialect operations ----------------------*- C++ -*-===//
//
// Declares the tide ops generated from TideOps.td.
//
//===----------------------------------------------------------------------===//

#ifndef TIDEMARK_COMPILER_DIALECT_TIDEOPS_H
#define TIDEMARK_COMPILER_DIALECT_TIDEOPS_H

#include "compiler/dialect/TideDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "compiler/dialect/TideOps.h.inc"

#endif // TIDEMARK_COMPILER_DIALECT_TIDEOPS_H
